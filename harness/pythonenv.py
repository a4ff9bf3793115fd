"""Environment for every Python subprocess the harness starts (fakes, moto, alembic, the backend, the frontend)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import harness
from harness import bytecode


def python_env(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` with the harness importable and bytecode cached.

    Puts the directory holding the ``harness`` package on PYTHONPATH, so ``python -m harness.services.<name>.fake``
    works from a source checkout as well as from an installed harness. Bytecode is cached (harness.bytecode).
    """
    root = str(Path(harness.__file__).resolve().parent.parent)
    env = dict(base)
    env["PYTHONPATH"] = f"{root}:{base['PYTHONPATH']}" if base.get("PYTHONPATH") else root
    bytecode.apply(env)
    return env
