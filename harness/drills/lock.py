"""Rewrites of the backend's Vault secret never meet a backend start that reads it: the rotation drill rewrites
the secret, and a backend the recovery drill (or the fault phase's canary) starts meanwhile would read the temporary
one. A file lock in the stack's run directory serialises the two across pytest-xdist workers and separate commands
alike (xdist's loadgroup alone cannot: it stops grouping on pytest 9.2, pytest-dev/pytest-xdist#1386)."""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock

LOCK_TIMEOUT = 600.0  # seconds: longer than any drill takes, short enough to surface a stuck one


def vault_secret_lock(run_dir: Path) -> FileLock:
    """Serialises drills that rewrite the backend's Vault secret (xdist workers share it)."""
    return FileLock(str(Path(run_dir) / "drills.lock"), timeout=LOCK_TIMEOUT)
