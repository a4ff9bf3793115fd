"""Run the `harness` command as a user would (a subprocess of this interpreter) and describe what it did."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def from_a_terminal(code: str, *args: str) -> list[str]:
    """``python -c CODE ARGS`` started as a terminal starts a command: SIGINT at its default. A test run started in
    the background without job control hands every child SIGINT ignored, which Python keeps, and a Ctrl-C test
    would then prove nothing."""
    reset = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    return [sys.executable, "-c", reset + code, *args]


def harness_argv(project: Path, *args: str) -> list[str]:
    """``harness --project PROJECT ARGS`` as a terminal would start it, for ``subprocess``."""
    return from_a_terminal(
        "import sys; from harness.entry import main; sys.exit(main())", "--project", str(project), *args
    )


def harness(
    project: Path, *args: str, timeout: float = 1800, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        harness_argv(project, *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
