"""The phase's verdicts against a scripted Prometheus: a fault that moves the metric and fires the alert passes; one
that moves nothing, or whose alert never resolves, fails with the reason (the negative controls of the phase)."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest
from rich.console import Console

from harness.signals import phase
from harness.signals.faults import Target
from harness.signals.phase import Phase, Probe, Signal
from harness.signals.table import render_signals
from tests.helpers.scripted_phase import TIMEOUTS, ScriptedPrometheus, drive

REPO = Path(__file__).resolve().parents[2]


def run(prometheus: ScriptedPrometheus, monkeypatch: pytest.MonkeyPatch) -> phase.Result:
    for name in TIMEOUTS:
        monkeypatch.setattr(phase, name, 1.0)
    return drive(prometheus)


@pytest.mark.parametrize("blip", [False, True], ids=["metric-stays-up", "metric-up-only-when-it-fired"])
def test_fault_that_fires_and_resolves_passes(blip: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Also when the metric reads 0 again by the time the phase looks (CI: a p95 over a 3 s window, between two
    bursts of slowed sign-ins): its value at the evaluation that fired the alert is what moved."""
    result = run(ScriptedPrometheus(blip=blip), monkeypatch)
    assert result.status == "passed", result.detail
    assert (result.before, result.during) == (0.0, 1.0) and result.fired_after is not None


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        (ScriptedPrometheus(fires=False), "Demo did not fire"),
        (ScriptedPrometheus(moves=False), "demo_metric did not move"),
        (ScriptedPrometheus(sticky=True), "still active"),
    ],
    ids=["alert-silent", "metric-still", "never-resolves"],
)
def test_fault_without_effect_fails_with_the_reason(
    script: ScriptedPrometheus, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(script, monkeypatch)
    assert result.status == "failed" and reason in result.detail, result.detail


def test_the_verdicts_hold_under_python_O() -> None:
    """``python -O`` strips ``assert``: the phase's checks must still fail a fault without effect there."""
    code = (
        "from harness.signals import phase; from tests.helpers import scripted_phase as t\n"
        f"for name in {TIMEOUTS!r}: setattr(phase, name, 1.0)\n"
        "r = t.drive(t.ScriptedPrometheus(fires=False)); print(r.status, r.detail)"
    )
    child = subprocess.run([sys.executable, "-O", "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert child.stdout.startswith("failed Demo did not fire"), child.stdout + child.stderr


def test_terminal_table_shows_each_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [run(ScriptedPrometheus(), monkeypatch).row(), run(ScriptedPrometheus(fires=False), monkeypatch).row()]
    out = io.StringIO()
    render_signals(Console(file=out, width=200), rows)
    text = out.getvalue()
    assert text.count("demo signal") == 3  # two rows, and the failure's reason under the table
    assert "passed" in text and "failed" in text and "Demo did not fire" in text


def test_a_stopping_run_stops_the_phase_within_a_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    """A service ended (the watch gives a reason): the phase raises at its next poll instead of waiting out its
    timeouts; the negative control is the passing phase above, whose stop never gives a reason."""
    reasons = iter(["", "", "postgres killed by signal SIGKILL during the run"])
    signal = Signal("demo signal", "a demo fault", "demo_metric", "Demo", lambda target: nullcontext())
    target = Target("http://a", "http://f", "postgresql://x", None, None, lambda label: None, nullcontext)  # type: ignore[arg-type]
    probe = Probe("http://b", {}, lambda path, params: None, "admin")  # type: ignore[arg-type, return-value]
    never_fires = ScriptedPrometheus(fires=False)
    began = time.monotonic()
    with pytest.raises(phase.Stopped, match="postgres killed"):
        Phase(never_fires, target, probe, stop=lambda: next(reasons)).drive(signal)  # type: ignore[arg-type]
    assert time.monotonic() - began < 2 * phase.POLL + 1, "the phase waited on after the run began to stop"


def test_stages_run_one_after_the_other_and_their_signals_side_by_side(monkeypatch: pytest.MonkeyPatch) -> None:
    """The two signals of the first stage are under their faults at once (a barrier both must reach); the second
    stage's fault begins only once both have been reverted."""
    prometheus = ScriptedPrometheus()
    together = threading.Barrier(2, timeout=10)
    events: list[str] = []

    def recording(name: str) -> Signal:
        @contextmanager
        def fault(target: Target) -> Iterator[None]:
            events.append(f"{name} on")
            if name != "later":
                together.wait()  # raises BrokenBarrierError (the signal fails) unless its partner is on too
            prometheus.faulty = True
            try:
                yield
            finally:
                if name != "later":
                    together.wait()  # both saw their alert fire before either reverts
                prometheus.faulty = False
                events.append(f"{name} off")

        return Signal(name, "a demo fault", "demo_metric", "Demo", fault)

    monkeypatch.setattr(phase, "SIGNALS", tuple(recording(name) for name in ("one", "two", "later")))
    target = Target("http://a", "http://f", "postgresql://x", None, None, lambda label: None, nullcontext)  # type: ignore[arg-type]
    target.accounts = dict.fromkeys(phase.faults.ACCOUNT_LABELS)  # type: ignore[arg-type]
    target.sessions = dict.fromkeys(phase.faults.SESSION_LABELS, ("cookie", "row"))
    probe = Probe("http://b", {}, lambda path, params: None, "admin")  # type: ignore[arg-type, return-value]
    results = Phase(prometheus, target, probe).run((("one", "two"), ("later",)))  # type: ignore[arg-type]
    assert {name: result.status for name, result in results.items()} == dict.fromkeys(("one", "two", "later"), "passed")
    assert events[-2:] == ["later on", "later off"], events


def test_every_signal_runs_in_exactly_one_stage() -> None:
    staged = [name for stage in phase.STAGES for name in stage]
    assert sorted(staged) == sorted(signal.name for signal in phase.SIGNALS)
