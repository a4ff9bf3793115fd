"""Environment for every Python subprocess the harness starts (fakes, moto, alembic, the backend, the frontend)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import harness
from harness.toolcache import cache_root


def python_env(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` with the harness importable and bytecode cached.

    Puts the directory holding the ``harness`` package on PYTHONPATH, so ``python -m harness.services.<name>.fake``
    works from a source checkout as well as from an installed harness. Bytecode goes to a pycache tree
    inside the tool cache (PYTHONPYCACHEPREFIX) even when PYTHONDONTWRITEBYTECODE is set: without cached
    bytecode each process recompiles kernia/fastapi/sqlalchemy on every start (~4x slower), and the prefix
    leaves the user's site-packages untouched.
    """
    root = str(Path(harness.__file__).resolve().parent.parent)
    env = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = f"{root}:{base['PYTHONPATH']}" if base.get("PYTHONPATH") else root
    env["PYTHONPYCACHEPREFIX"] = str(cache_root() / "pycache" / f"py{sys.version_info[0]}{sys.version_info[1]}")
    return env
