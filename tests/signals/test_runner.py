"""The phase beside the checks: which process runs it, and how its checks get its outcome (or why they stop)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace

from harness.signals import runner
from harness.signals.runner import Outcome, wait_for_outcome, write_outcome


def config(*, worker: str | None = None, numprocesses: int | None = None) -> object:
    option = SimpleNamespace(numprocesses=numprocesses)
    return SimpleNamespace(option=option, **({"workerinput": {"workerid": worker}} if worker else {}))


def test_one_process_runs_the_phase() -> None:
    assert runner.designated(config(worker="gw0"))  # type: ignore[arg-type]
    assert not runner.designated(config(worker="gw1"))  # type: ignore[arg-type]
    assert not runner.designated(config(numprocesses=2))  # type: ignore[arg-type]  # the xdist controller
    assert runner.designated(config(numprocesses=0))  # type: ignore[arg-type]  # an in-process run
    assert runner.designated(config(numprocesses=-1))  # type: ignore[arg-type]  # xdist runs a negative count in-process
    assert runner.designated(config())  # type: ignore[arg-type]


def test_the_checks_wait_for_the_outcome_the_phase_writes(tmp_path: Path) -> None:
    written = Outcome("passed", rows=[{"signal": "demo", "status": "passed"}], alerts_after={})
    later = threading.Timer(0.5, write_outcome, (tmp_path, written))
    later.start()
    began = time.monotonic()
    assert wait_for_outcome(tmp_path, stop=lambda: "", timeout=10) == written
    assert time.monotonic() - began >= 0.4, "the outcome was read before it was written"
    assert not list(tmp_path.rglob("*.partial")), "the outcome was not written in one step"


def test_a_stopping_run_ends_the_wait_with_its_reason(tmp_path: Path) -> None:
    outcome = wait_for_outcome(tmp_path, stop=lambda: "postgres killed by signal SIGKILL", timeout=10)
    assert outcome == Outcome("stopped", "postgres killed by signal SIGKILL")


def test_a_phase_that_never_writes_fails_its_checks_after_the_timeout(tmp_path: Path) -> None:
    outcome = wait_for_outcome(tmp_path, stop=lambda: "", timeout=0.3)
    assert outcome.status == "failed" and "wrote no outcome within" in outcome.detail
