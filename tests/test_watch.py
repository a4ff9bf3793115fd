"""Watch: a service that ends is named within 2 s, with how it ended and its last log lines (secrets masked)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from harness.process import ManagedProcess
from harness.readiness import Custom
from harness.watch import Ended, Watch, process_targets


def _service(tmp_path: Path, name: str) -> ManagedProcess:
    log = tmp_path / f"{name}.log"
    argv = ["sh", "-c", "echo 'connected with password s3cret-pw'; echo ready; exec sleep 300"]
    return ManagedProcess(name, argv, log_path=log, probes=[Custom("ready", lambda: "ready" in log.read_text())])


def test_a_killed_service_is_named_within_two_seconds(tmp_path: Path) -> None:
    calm, doomed = _service(tmp_path, "redis"), _service(tmp_path, "postgres")
    records = [calm.start(timeout=5).to_dict(), doomed.start(timeout=5).to_dict()]
    seen: list[Ended] = []
    noticed = threading.Event()
    watch = Watch(process_targets(records, secrets=["s3cret-pw"]), lambda ended: (seen.append(ended), noticed.set()))
    try:
        watch.start()
        time.sleep(1.2)
        assert watch.ended is None, "a running service was reported as ended"
        assert doomed.record is not None
        os.kill(doomed.record.pid, signal.SIGKILL)
        killed = time.monotonic()
        assert noticed.wait(5)
        assert time.monotonic() - killed < 2
    finally:
        watch.stop()
        calm.stop()
        doomed.stop()
    assert seen == [watch.ended]  # reported once
    ended = seen[0]
    assert ended.service == "postgres" and ended.how == "killed by signal SIGKILL"
    assert ended.reason == "postgres killed by signal SIGKILL during the run"
    message = ended.message()
    assert "ready" in message and str(tmp_path / "postgres.log") in message
    assert "s3cret-pw" not in message and "password ***" in message


def test_nothing_to_watch_starts_no_thread() -> None:
    watch = Watch([]).start()
    watch.stop()
    assert watch.ended is None
