"""Pausing a process the harness started, as a hung server is: frozen inside the block (SIGSTOP), its port still
accepting connections, nothing answering; resumed on exit (SIGCONT). The signals phase's Redis fault pauses the
canary's own Redis with it, the queue checks the worker.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import partial

from harness.errors import ProviderError
from harness.process import ProcessRecord

Pauser = Callable[[], AbstractContextManager[None]]  # enter: the service is paused; exit: resumed


@contextmanager
def process_paused(record: ProcessRecord) -> Iterator[None]:
    """The process stopped (SIGSTOP) inside the block, continued (SIGCONT) after it."""
    process = record.process()
    if process is None:
        raise ProviderError(f"{record.name} (pid {record.pid}) is not running: it cannot be paused")
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.pid, signal.SIGCONT)


def process_pausers(records: Sequence[Mapping[str, object]]) -> dict[str, Pauser]:
    """A pauser for each process record as a native stack's state stores it (``ProcessRecord.to_dict``)."""
    parsed = [ProcessRecord.from_dict(record) for record in records]
    return {record.name: partial(process_paused, record) for record in parsed}
