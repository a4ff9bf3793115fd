"""The harness's terminal output: progress and errors on stderr, never wrapped (messages carry paths and URLs)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape

Progress = Callable[[str], None]  # where a long operation reports what it is doing


def silent(_message: str) -> None:
    """Progress sink that discards messages."""


# Logs and CI output are not terminals: give the report tables room instead of Rich's 80-column default.
console = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 160)


def stderr_now() -> Console:
    """A console on a duplicate of stderr as it is now (close its ``file`` when done). Taken while pytest does not
    capture, it still reaches the terminal later, while pytest redirects stderr to capture a running check."""
    return Console(file=os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1), soft_wrap=True, width=console.width)


def progress(message: str) -> None:
    console.print(f"[dim]harness[/] {escape(message)}")


def error(message: str) -> None:
    console.print(f"[red]harness:[/] {escape(message)}")


def info(message: str) -> None:
    console.print(escape(message))
