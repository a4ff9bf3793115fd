"""The fault phase's last stages run alone: every other check holds a shared lock on one file in the run directory
while it runs, and the phase takes that lock exclusively for those stages, so no check meets a paused Redis, a
refusing SMTP server or a drifted schema it did not cause.

flock(2) does not queue a waiting exclusive request ahead of new shared ones, so a worker whose checks follow each
other closely would keep the phase waiting until its last check. Everyone first passes a turnstile (a second lock
file): a check takes it only to get its shared lock, the phase keeps it while it waits and runs, so once the phase
asks, new checks wait behind it.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

LOCK_NAME = "signals.lock"
TURNSTILE_NAME = "signals.turnstile"
MARKER = "fault_phase"  # the checks that report the phase: they take no shared lock (they wait for the phase)


def reports_the_phase(item: pytest.Item) -> bool:
    """A check that waits for the fault phase's outcome: holding the shared lock meanwhile would deadlock it."""
    return item.get_closest_marker(MARKER) is not None


@contextmanager
def holding(run_dir: Path, *, exclusive: bool) -> Iterator[None]:
    with (Path(run_dir) / TURNSTILE_NAME).open("a") as gate, (Path(run_dir) / LOCK_NAME).open("a") as handle:
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        finally:
            if not exclusive:
                fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            fcntl.flock(gate, fcntl.LOCK_UN)
