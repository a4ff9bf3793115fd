"""Tool environments built once per version and reused, like pulled images.

Cache root: ``$KERNIA_HARNESS_CACHE``, else ``$XDG_CACHE_HOME/kernia-harness``, else
``~/.cache/kernia-harness``. Exception: tools that an unprivileged user must execute (PostgreSQL runs as
``postgres`` when the harness runs as root) go under ``$KERNIA_HARNESS_SHARED_CACHE`` or
``/var/cache/kernia-harness`` when running as root,
because root's home is mode 700 and the ``postgres`` user could not even reach binaries cached there.

Each entry is built in a temporary directory next to its final place and renamed into place when complete,
under a file lock, so concurrent runs never see or build a half-finished entry.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

SHARED_ROOT_WHEN_ROOT = Path("/var/cache/kernia-harness")
_COMPLETE = ".complete"


def cache_root(*, shared: bool = False) -> Path:
    """Where cached tools live; ``shared`` = must be readable and executable by other local users."""
    if shared and os.geteuid() == 0:
        return Path(os.environ.get("KERNIA_HARNESS_SHARED_CACHE", SHARED_ROOT_WHEN_ROOT))
    if env := os.environ.get("KERNIA_HARNESS_CACHE"):
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "kernia-harness"


def ensure_tool(key: str, build: Callable[[Path], None], *, shared: bool = False) -> Path:
    """Return the cached directory for ``key`` (e.g. ``postgres-18.6``), building it with ``build(dir)``
    first if it is missing. A failed build leaves nothing behind."""
    root = cache_root(shared=shared)
    final = root / key
    if (final / _COMPLETE).exists():
        return final
    root.mkdir(parents=True, exist_ok=True)
    if shared:
        root.chmod(0o755)
    with FileLock(str(root / f".{key}.lock")):
        if (final / _COMPLETE).exists():
            return final
        staging = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
        try:
            build(staging)
            (staging / _COMPLETE).touch()
            if shared:
                staging.chmod(0o755)
            if final.exists():  # a leftover from an interrupted build of an older harness
                shutil.rmtree(final)
            staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return final
