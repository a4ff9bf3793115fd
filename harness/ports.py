"""Free TCP ports on 127.0.0.1 that two stacks on one machine never both receive.

The OS hands out a free port for ``bind(port=0)``; between closing that probe socket and the service binding
the port, another harness run could receive the same number. Each port handed out is therefore reserved
for a while with an exclusive marker file in a directory every run on the machine shares, and skipped by
other runs. A service that still loses the bind race fails with "address in use" and is retried on new
ports by its caller (see ``harness.native.orchestrate``). A process removes its own markers when it exits (by
then its services hold their ports) and sweeps stale ones left by a process that was killed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
import tempfile
import time
from pathlib import Path

LOCALHOST = "127.0.0.1"  # the one loopback address every harness module binds and dials
RESERVATION_SECONDS = 120.0
_RESERVATIONS = Path(tempfile.gettempdir()) / "kernia-harness-ports"
_MINE: set[Path] = set()


def free_port(span: int = 1, *, attempts: int = 50) -> int:
    """Return a port P such that P .. P+span-1 are free on 127.0.0.1 and reserved for this run.

    ``span`` > 1 serves programs that bind neighbouring ports (OpenBao's dev server also binds P+1).
    """
    for _ in range(attempts):
        port = _os_assigned_port()
        if port + span - 1 > 65535:
            continue
        ports = range(port, port + span)
        if all(_bindable(p) for p in ports) and all(_reserve(p) for p in ports):
            return port
    raise OSError(f"no {span} consecutive free port(s) on {LOCALHOST} after {attempts} attempts")


def port_is_free(port: int) -> bool:
    """True when nothing listens on ``port`` at 127.0.0.1 (the port can be bound now)."""
    return _bindable(port)


def _os_assigned_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOCALHOST, port))
        except OSError:
            return False
        return True


def _reserve(port: int) -> bool:
    """Claim ``port`` machine-wide unless another run claimed it less than RESERVATION_SECONDS ago."""
    if not _RESERVATIONS.is_dir():
        _RESERVATIONS.mkdir(exist_ok=True)
        _RESERVATIONS.chmod(0o1777)  # shared by every user's runs, like /tmp itself
    marker = _RESERVATIONS / str(port)
    for _ in range(2):
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            if not _MINE:
                atexit.register(release_reservations)
                _sweep_stale()
            _MINE.add(marker)
            return True
        except PermissionError:  # a directory another user created without sharing: OS choice only
            return True
        except FileExistsError:
            try:
                if time.time() - marker.stat().st_mtime < RESERVATION_SECONDS:
                    return False
                marker.unlink()  # stale claim of a run long gone
            except FileNotFoundError:
                pass
    return False


def release_reservations() -> None:
    """Remove the markers this process created (its services have bound their ports by now)."""
    for marker in list(_MINE):
        marker.unlink(missing_ok=True)
        _MINE.discard(marker)
    with contextlib.suppress(OSError):
        _RESERVATIONS.rmdir()  # only when no other run holds a reservation


def _sweep_stale() -> None:
    """Remove markers older than RESERVATION_SECONDS, left by runs that were killed before their exit hook."""
    now = time.time()
    for marker in _RESERVATIONS.iterdir():
        with contextlib.suppress(OSError):
            if now - marker.stat().st_mtime >= RESERVATION_SECONDS:
                marker.unlink()
