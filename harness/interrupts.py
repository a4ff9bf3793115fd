"""A Ctrl-C is never lost.

Python turns SIGINT into KeyboardInterrupt in whatever Python code the main thread runs next. When that code is a
finalizer (``__del__``, a weakref callback) that garbage collection happened to start, or any code that swallows
BaseException, Python prints "Exception ignored in ..." (or nothing) and carries on as if nobody had pressed Ctrl-C.
CI once saw a rehearsal, interrupted just after its deployment, run on to exit 0. The harness's handler raises just
as Python's does, and also records the interrupt; the run looks at the record at its boundaries (each step of
``up`` and of the deployment, the end of collection, each check), so an interrupt swallowed where it landed still
stops the run at the next one, with the usual teardown. The rehearsal takes SIGTERM the same way (so teardown
runs), and the report names the signal that interrupted it.
"""

from __future__ import annotations

import signal
from types import FrameType

_received: list[str] = []  # the names of the signals that interrupted this run, first first

# Python's own disposition for each: what install() replaces. Anything else (ignored, another handler) is kept.
_DEFAULTS = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}


def _on_signal(signum: int, frame: FrameType | None) -> None:
    name = signal.Signals(signum).name
    _received.append(name)
    raise KeyboardInterrupt(name)


def install(*signums: signal.Signals) -> None:
    """From now on ``signums`` (default: SIGINT) raise KeyboardInterrupt and are recorded; call on the main
    thread. An ignored signal stays ignored: a job started in the background without job control has chosen that,
    and a terminal's Ctrl-C does not reach it anyway."""
    for signum in signums or (signal.SIGINT,):
        if signal.getsignal(signum) is _DEFAULTS[signum]:
            signal.signal(signum, _on_signal)


def received() -> str:
    """The signal that interrupted the run ("" when none did): the report's reason for 'interrupted'."""
    return _received[0] if _received else ""


def clear() -> None:
    """The interrupt was the harness's own (the service watch stopping a deployment), not a Ctrl-C."""
    _received.clear()


def check() -> None:
    """A boundary: raise KeyboardInterrupt if a signal arrived (it was swallowed, or it is on its way up already)."""
    if _received:
        raise KeyboardInterrupt(_received[0])
