"""Watch the services a run started and say at once which one ended, how, and what its log said last.

Without it, a rehearsal whose PostgreSQL died runs on through every remaining check, each failing with a 500
and none naming the cause. A provider says what to watch (``Provider.watch_targets``): a target is any callable
that answers None while its service runs and an ``Ended`` once it stopped, so a container provider can offer
"exited" or "turned unhealthy" the same way the native provider offers its processes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.process import ProcessRecord, exit_description, log_tail, mask

POLL_SECONDS = 0.5  # a death is named within a second, well inside the 2 s promised


@dataclass(frozen=True)
class Ended:
    """A watched service that stopped: its name, how it ended, and the end of its log."""

    service: str
    how: str
    log_path: str = ""
    log_tail: str = ""

    @property
    def reason(self) -> str:
        """One line: why the run stops."""
        return f"{self.service} {self.how} during the run"

    def message(self) -> str:
        """The reason with the log's last lines, as the terminal, the report and JUnit show it."""
        if not self.log_path:
            return self.reason
        return f"{self.reason}\nlast log lines ({self.log_path}):\n{self.log_tail.rstrip() or '(log is empty)'}"


WatchTarget = Callable[[], Ended | None]  # None while the service runs


@dataclass(frozen=True)
class ProcessTarget:
    """A process from its record: the exit status when this interpreter is its parent, else that it is gone."""

    record: ProcessRecord
    secrets: Collection[str] = ()

    def __call__(self) -> Ended | None:
        how = exit_description(self.record)
        if how is None:
            return None
        log = Path(self.record.log_path)
        return Ended(self.record.name, how, str(log), mask(log_tail(log), self.secrets))


def process_targets(records: Iterable[Mapping[str, Any]], secrets: Collection[str] = ()) -> list[WatchTarget]:
    """Targets for process records as stored in a stack's state (``ProcessRecord.to_dict``)."""
    return [ProcessTarget(ProcessRecord.from_dict(record), tuple(secrets)) for record in records]


class Watch:
    """A daemon thread that polls the targets and reports the first one that ended, once, to ``on_end``.

    ``on_end`` runs on the watch thread: it may print and signal, but stopping pytest belongs to the main thread,
    which reads ``ended``."""

    def __init__(self, targets: Sequence[WatchTarget], on_end: Callable[[Ended], None] | None = None) -> None:
        self.targets = list(targets)
        self.on_end = on_end
        self.ended: Ended | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="harness-watch", daemon=True)

    def start(self) -> Watch:
        if self.targets:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            for target in self.targets:
                ended = target()
                if ended is not None and not self._stop.is_set():
                    self.ended = ended
                    if self.on_end is not None:
                        self.on_end(ended)
                    return
