"""Run the project's own tools (alembic, manage commands) as subprocesses with the deployment's environment."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.pythonenv import python_env

TAIL_LINES = 30


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = TAIL_LINES) -> str:
        return "\n".join(self.output.strip().splitlines()[-lines:])

    def describe_failure(self) -> str:
        return f"`{' '.join(self.argv)}` exited {self.returncode}:\n{self.tail()}"


def run_command(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 300) -> CommandResult:
    """Run ``argv`` with ``env`` layered over the current environment; stdout and stderr merged."""
    completed = subprocess.run(
        list(argv),
        cwd=cwd,
        env=python_env({**os.environ, **env}),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CommandResult(tuple(argv), completed.returncode, completed.stdout)
