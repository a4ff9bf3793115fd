"""A Ctrl-C that Python swallows still stops a run: the handler records it and the next boundary raises it.

The swallowed Ctrl-C is made for real: SIGINT raised while a finalizer runs, where Python reports the
KeyboardInterrupt as "ignored" and goes on. Each run is a separate pytest process, so no handler leaks into this one.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from harness import interrupts
from tests.helpers.cli import from_a_terminal

CHECKS = """
import signal


class CtrlCInAFinalizer:
    def __del__(self):
        signal.raise_signal(signal.SIGINT)  # the handler runs at the next bytecode, still inside __del__


def test_interrupted_inside_a_finalizer():
    CtrlCInAFinalizer()  # dropped at once: its finalizer runs here


def test_after_the_interrupt():
    pass
"""

WITH_THE_HARNESS = """
from harness import interrupts
from tests.helpers.cli import from_a_terminal
from harness.plugin import InterruptBoundaries


def pytest_configure(config):
    interrupts.install()
    config.pluginmanager.register(InterruptBoundaries())
"""


def run_checks(tmp_path: Path, conftest: str | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_checks.py").write_text(CHECKS)
    if conftest is not None:
        (tmp_path / "conftest.py").write_text(conftest)
    return subprocess.run(
        from_a_terminal("import sys, pytest; sys.exit(pytest.main())", "-p", "no:cacheprovider", "-v", str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def test_python_alone_loses_a_ctrl_c_raised_in_a_finalizer(tmp_path: Path) -> None:
    """The negative control: without the harness's handler the run goes on and passes."""
    run = run_checks(tmp_path, conftest=None)
    assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout + run.stderr
    assert "Exception ignored in" in run.stdout and "KeyboardInterrupt" in run.stdout, run.stdout


def test_a_swallowed_ctrl_c_stops_the_run_at_the_next_check(tmp_path: Path) -> None:
    run = run_checks(tmp_path, WITH_THE_HARNESS)
    assert run.returncode == pytest.ExitCode.INTERRUPTED, run.stdout + run.stderr
    assert "test_interrupted_inside_a_finalizer PASSED" in run.stdout, run.stdout
    assert "test_after_the_interrupt" not in run.stdout, "a check ran after the Ctrl-C"
    assert "KeyboardInterrupt: SIGINT" in run.stdout, run.stdout


def test_an_ignored_sigint_stays_ignored() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a background job's, as its parent shell left it
    try:
        interrupts.install()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
