"""Where a project's running stack is recorded, so `harness down` (another process) can find and stop it.

The record lives outside the project, in a per-user runtime directory keyed by the project's path: the
project tree never holds credentials, and two projects (or worktrees) never share a stack.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.providers.base import StackHandle

STATE_FILE = "stack.json"


def runtime_root() -> Path:
    """Per-user directory for run data; world-traversable so an unprivileged PostgreSQL can reach its data."""
    base = os.environ.get("KERNIA_HARNESS_RUNTIME") or os.path.join(
        tempfile.gettempdir(), f"kernia-harness-{os.getuid()}"
    )
    root = Path(base)
    root.mkdir(mode=0o755, parents=True, exist_ok=True)
    return root


@dataclass(frozen=True)
class StackState:
    """The run directory and state record of one project's stack."""

    project_root: Path

    @property
    def run_dir(self) -> Path:
        digest = hashlib.sha256(str(self.project_root.resolve()).encode()).hexdigest()[:12]
        return runtime_root() / digest

    @property
    def path(self) -> Path:
        return self.run_dir / STATE_FILE

    def exists(self) -> bool:
        return self.path.is_file()

    def create_run_dir(self) -> Path:
        self.run_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
        return self.run_dir

    def load(self) -> tuple[StackHandle, dict[str, Any]]:
        data = json.loads(self.path.read_text())
        return StackHandle.from_dict(data["stack"]), data.get("deployment", {})

    def save(self, handle: StackHandle, deployment: Any = None) -> None:
        """Write atomically with owner-only permissions: the record holds the stack's dev credentials.

        ``deployment``: a ``harness.deploy.context.Deployment`` (anything with ``to_dict``) or a plain dict."""
        record = deployment.to_dict() if hasattr(deployment, "to_dict") else dict(deployment or {})
        payload = json.dumps({"stack": handle.to_dict(), "deployment": record}, indent=2)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(payload)
        tmp.replace(self.path)

    def remove(self) -> None:
        shutil.rmtree(self.run_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.run_dir.parent.rmdir()  # the per-user runtime root, once no other stack uses it
