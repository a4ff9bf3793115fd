"""What a native service module returns: a declarative description of the process to run.

Each service module (postgres.py, redis.py, ...) has one ``plan(ctx) -> Launch`` function that finds its
program, prepares its data directory and ports, and describes the command, readiness probes and the
Endpoints fields it provides. Starting, waiting, retrying and stopping live once, in orchestrate.py.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.endpoints import ServiceInfo
from harness.ports import LOCALHOST, free_port
from harness.pythonenv import python_env
from harness.readiness import HttpStatus, Probe

__all__ = [
    "LOCALHOST",
    "UNKNOWN",
    "Launch",
    "RunContext",
    "binary_version",
    "harness_server",
    "new_secret",
    "python_module_argv",
    "traversable_by",
]

UNKNOWN = "unknown"  # a version a program did not tell


@dataclass
class RunContext:
    """Per-run inputs every service plan reads."""

    run_dir: Path
    options: dict[str, Any] = field(default_factory=dict)
    cancel: threading.Event = field(default_factory=threading.Event)

    def service_dir(self, name: str) -> Path:
        path = self.run_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def log_path(self, name: str) -> Path:
        return self.run_dir / "logs" / f"{name}.log"

    @property
    def bind_host(self) -> str:
        """Where the harness's own servers listen: 127.0.0.1, or the container bridge's gateway when containers
        must reach them (option ``bind_host``, set by harness.sidecars)."""
        return str(self.options.get("bind_host") or LOCALHOST)


@dataclass
class Launch:
    """One service process to start, and what the stack gains once it is ready."""

    name: str
    argv: list[str]
    probes: list[Probe]
    info: ServiceInfo
    endpoints: dict[str, Any]
    env: dict[str, str] | None = None
    cwd: Path | None = None
    user: str | None = None
    secrets: tuple[str, ...] = ()
    state: dict[str, Any] = field(default_factory=dict)
    cleanup: list[str] = field(default_factory=list)  # paths outside run_dir to remove on down
    timeout: float = 30.0
    stop_grace: float | None = None  # seconds from SIGTERM to SIGKILL when the stack stops (None: the default)
    # Runs once the service is ready and may update ``endpoints`` (e.g. replace a credential the log shows).
    on_ready: Callable[[Launch], None] | None = None


def binary_version(argv: list[str], pattern: str) -> str:
    """The version an installed program prints (``argv``, e.g. ``[binary, "--version"]``): group 1 of ``pattern``
    in its output, or UNKNOWN. This is the native provider's pin; harness.services.versions reads the running one."""
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    match = re.search(pattern, result.stdout + result.stderr)
    return match.group(1) if match else UNKNOWN


def new_secret() -> str:
    """A URL-safe random password/token (safe inside URLs without quoting)."""
    return secrets.token_urlsafe(24)


def python_module_argv(module: str, *args: str) -> list[str]:
    """Run one of the harness's own modules (the fakes) with this interpreter."""
    return [sys.executable, "-m", module, *args]


def harness_server(
    ctx: RunContext, *, name: str, module: str, probe_path: str, info: ServiceInfo, endpoint: str
) -> Launch:
    """Launch one of the harness's own HTTP servers (``python -m module --port P``) on a free port; its base URL
    becomes the endpoint field ``endpoint`` and ``probe_path`` tells when it is ready."""
    url = f"http://{ctx.bind_host}:{(port := free_port())}"
    return Launch(
        name=name,
        argv=python_module_argv(module, "--host", ctx.bind_host, "--port", str(port)),
        probes=[HttpStatus(f"{url}{probe_path}")],
        info=info,
        endpoints={endpoint: url},
        env=python_env(dict(os.environ)),
        cwd=ctx.service_dir(name),
    )


def traversable_by(path: Path, uid: int, gids: set[int]) -> bool:
    """True if a process with ``uid``/``gids`` can reach ``path`` (execute bit on every ancestor)."""
    for part in [*reversed(path.resolve().parents), path.resolve()]:
        st = part.stat()
        if st.st_uid == uid:
            bit = stat.S_IXUSR
        elif st.st_gid in gids:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
    return True
