"""The fault phase runs alone: every other check holds a shared lock on one file in the run directory while it
runs, and the phase takes that lock exclusively, so no check meets a paused Redis, a held pool or a drifted schema
it did not cause, and no other check's traffic blurs the phase's alerts."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "signals.lock"
GROUP = "signals"  # the phase's xdist group; its checks take no shared lock (the phase holds it exclusively)


@contextmanager
def holding(run_dir: Path, *, exclusive: bool) -> Iterator[None]:
    with (Path(run_dir) / LOCK_NAME).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
