"""A Ctrl-C is never lost.

Python turns SIGINT into KeyboardInterrupt in whatever Python code the main thread runs next. When that code is a
finalizer (``__del__``, a weakref callback) that garbage collection happened to start, or any code that swallows
BaseException, Python prints "Exception ignored in ..." (or nothing) and carries on as if nobody had pressed Ctrl-C.
CI once saw a rehearsal, interrupted just after its deployment, run on to exit 0. The harness's handler raises just
as Python's does, and also records the interrupt; the run looks at the record at its boundaries (each step of
``up`` and of the deployment, the end of collection, each check), so an interrupt swallowed where it landed still
stops the run at the next one, with the usual teardown.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

_received = threading.Event()


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _received.set()
    raise KeyboardInterrupt("SIGINT")


def install() -> None:
    """Record every Ctrl-C from now on (call on the main thread). An ignored SIGINT stays ignored: a job started
    in the background without job control has chosen that, and a terminal's Ctrl-C does not reach it anyway."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_sigint)


def clear() -> None:
    """The interrupt was the harness's own (the service watch stopping a deployment), not a Ctrl-C."""
    _received.clear()


def check() -> None:
    """A boundary: raise KeyboardInterrupt if a Ctrl-C arrived (it was swallowed, or it is on its way up already)."""
    if _received.is_set():
        raise KeyboardInterrupt("SIGINT")
