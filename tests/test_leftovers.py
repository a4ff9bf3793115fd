"""`harness down` stops what a killed pytest worker left running: every process the harness starts leaves its record
beside its log, and down stops the ones under the run directory that no stack record owns."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from harness.process import ManagedProcess, ProcessRecord, noted_under, stop_record
from harness.readiness import Custom
from harness.stack import stop_leftovers


def _sleeper(name: str, log: Path) -> ProcessRecord:
    return ManagedProcess(name, ["sleep", "300"], log_path=log, probes=[Custom("started", lambda: True)]).start(5)


def test_down_stops_a_process_no_record_owns_and_leaves_the_owned_ones_to_their_owner(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    owned = _sleeper("backend", run_dir / "logs" / "backend.log")
    orphan = _sleeper("signals-canary", run_dir / "signals" / "logs" / "signals-canary.log")
    running = SimpleNamespace(handle=SimpleNamespace(run_dir=run_dir), local_processes=lambda: [owned])
    try:
        assert {record.pid for record in noted_under(run_dir)} == {owned.pid, orphan.pid}
        assert stop_leftovers(running) == ["signals-canary"]  # type: ignore[arg-type]
        assert not orphan.is_alive() and owned.is_alive()
        assert stop_leftovers(running) == []  # type: ignore[arg-type]
    finally:
        for record in (owned, orphan):
            stop_record(record)
