"""Cached bytecode for every Python process of a run, even where PYTHONDONTWRITEBYTECODE is set.

Without cached bytecode each process recompiles what it imports on every start: about 3.7 s of CPU for the
`harness` command itself and as much for each pytest-xdist worker, and ~4x the start time of every backend
(kernia, fastapi, sqlalchemy). Bytecode goes to a tree inside the tool cache (PYTHONPYCACHEPREFIX), never
next to the user's sources or into their site-packages; a prefix the user chose is kept.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, MutableMapping

from harness.toolcache import cache_root


def prefix(env: Mapping[str, str] = os.environ) -> str:
    """The bytecode tree: the user's PYTHONPYCACHEPREFIX if set, else one per Python version in the tool cache."""
    chosen = env.get("PYTHONPYCACHEPREFIX")
    return chosen or str(cache_root() / "pycache" / f"py{sys.version_info[0]}{sys.version_info[1]}")


def apply(env: MutableMapping[str, str]) -> None:
    """Make ``env`` (a child process's environment) read and write cached bytecode."""
    env["PYTHONPYCACHEPREFIX"] = prefix(env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)


def enable() -> None:
    """Cache bytecode in this process from now on, and in every process it starts (pytest-xdist workers)."""
    apply(os.environ)
    sys.pycache_prefix = os.environ["PYTHONPYCACHEPREFIX"]
    sys.dont_write_bytecode = False
