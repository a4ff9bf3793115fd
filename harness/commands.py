"""The one runner for one-shot commands (the project's tools, initdb, a venv build) and the one log-tail helper.

``run_command`` captures the output (stdout and stderr merged) for the caller to read; ``run_logged`` appends it
to a log file, for failures that quote the log's last lines; ``checked_output`` is for the engine's own CLI (docker,
compose), whose stdout is the answer and whose failure is a ProviderError. Long-running services are
``process.ManagedProcess``.
"""

from __future__ import annotations

import os
import pwd
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from harness.errors import ProviderError
from harness.pythonenv import python_env

TAIL_LINES = 30


def tail(text: str, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of ``text`` (a log, a command's output), surrounding whitespace removed."""
    return "\n".join(text.strip().splitlines()[-lines:])


def user_kwargs(user: str | None) -> dict[str, Any]:
    """Popen arguments that drop root privileges to ``user`` (PostgreSQL refuses to run as root)."""
    if user is None or os.geteuid() != 0:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = TAIL_LINES) -> str:
        return tail(self.output, lines)

    def describe_failure(self) -> str:
        return f"`{' '.join(self.argv)}` exited {self.returncode}:\n{self.tail()}"


def _run(
    argv: Sequence[str],
    *,
    stdout: int | IO[bytes],
    env: Mapping[str, str] | None,
    cwd: Path | None,
    timeout: float,
    user: str | None = None,
    text: bool = False,
) -> subprocess.CompletedProcess[Any]:
    """The one ``subprocess.run`` of a one-shot: no stdin, stderr merged into stdout, never raising on exit codes."""
    return subprocess.run(
        list(argv),
        cwd=cwd,
        env=None if env is None else dict(env),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        text=text,
        timeout=timeout,
        check=False,
        **user_kwargs(user),
    )


def run_command(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 300) -> CommandResult:
    """Run ``argv`` with ``env`` layered over the current environment; stdout and stderr merged."""
    completed = _run(
        argv, stdout=subprocess.PIPE, env=python_env({**os.environ, **env}), cwd=cwd, timeout=timeout, text=True
    )
    return CommandResult(tuple(argv), completed.returncode, completed.stdout)


def run_logged(
    argv: Sequence[str],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
    timeout: float = 120.0,
) -> int:
    """Run ``argv`` appending its output to ``log_path``; returns the exit code (OSError/TimeoutExpired propagate)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return _run(argv, stdout=log, env=env, cwd=cwd, timeout=timeout, user=user).returncode


def checked_output(argv: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 60) -> str:
    """``argv``'s stdout, stripped (``env`` layered over the current environment); a non-zero exit is a ProviderError
    quoting the command and what it printed."""
    result = subprocess.run(
        list(argv),
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise ProviderError(f"`{shlex.join(argv)}` failed: {(result.stderr or result.stdout).strip()}")
    return result.stdout.strip()
