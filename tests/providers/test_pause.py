"""Pausing a process (the canary's Redis in the signals phase): it really stops inside the block and continues
after it, also when the block fails; a process that is gone is named instead of paused."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psutil
import pytest

from harness.errors import ProviderError
from harness.process import ManagedProcess, ProcessRecord
from harness.providers.pause import process_paused, process_pausers
from harness.readiness import Custom


def stopped(process: psutil.Process, *, wait: float) -> bool:
    """Whether the process shows as stopped within ``wait`` s (a signal is delivered asynchronously)."""
    deadline = time.monotonic() + wait
    while process.status() != psutil.STATUS_STOPPED and time.monotonic() < deadline:
        time.sleep(0.05)
    return process.status() == psutil.STATUS_STOPPED


def test_a_process_is_stopped_inside_the_block_and_continues_after_also_when_it_fails(tmp_path: Path) -> None:
    log = tmp_path / "redis.log"
    argv = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(300)"]
    process = ManagedProcess("redis", argv, log_path=log, probes=[Custom("up", lambda: "up" in log.read_text())])
    record = process.start(timeout=10)
    try:
        pausers = process_pausers([record.to_dict()])
        assert set(pausers) == {"redis"}
        live = psutil.Process(record.pid)
        assert not stopped(live, wait=0.5)
        with pausers["redis"]():
            assert stopped(live, wait=5)
        assert not stopped(live, wait=0.5)
        with pytest.raises(RuntimeError, match="the fault broke"), pausers["redis"]():
            raise RuntimeError("the fault broke")
        assert not stopped(live, wait=0.5)
    finally:
        process.stop()


def test_a_process_that_is_gone_is_named_not_paused() -> None:
    gone = ProcessRecord(name="redis", pid=2**22 + 1, create_time=0.0, argv=("redis-server",), log_path="/dev/null")
    with pytest.raises(ProviderError, match=r"redis \(pid \d+\) is not running"), process_paused(gone):
        pytest.fail("the block ran although nothing was paused")
