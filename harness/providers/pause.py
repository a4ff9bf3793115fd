"""Pausing a service of a running stack, as a hung server is: frozen inside the block, its port still accepting
connections, nothing answering; resumed on exit. The signals phase's Redis fault uses it (``Provider.pausers``).

A native process is stopped with SIGSTOP and resumed with SIGCONT; a container's main process the same way, sent
by the engine (`docker kill --signal`, `docker compose kill --signal`). Not `docker pause`: Engine 20.10 reports a
paused container unhealthy at once, and again right after `unpause`, so the fail-fast watch would rightly end the
run, while a stopped server fails its healthcheck only as a hung one does (after its retries). The main process is
the server for the services paused here (Redis runs `redis-server` as PID 1).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import partial

from harness.commands import checked_output
from harness.errors import ProviderError
from harness.process import ProcessRecord

STOP, CONT = "SIGSTOP", "SIGCONT"
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


@contextmanager
def commands_paused(
    pause: Sequence[str], resume: Sequence[str], env: Mapping[str, str] | None = None
) -> Iterator[None]:
    """``pause`` run before the block, ``resume`` after it (also when the block fails); either failing is a
    ProviderError quoting the command and its output."""
    checked_output(pause, env=env)
    try:
        yield
    finally:
        checked_output(resume, env=env)


def process_pausers(records: Sequence[Mapping[str, object]]) -> dict[str, Pauser]:
    """A pauser for each process record as a native stack's state stores it (``ProcessRecord.to_dict``)."""
    parsed = [ProcessRecord.from_dict(record) for record in records]
    return {record.name: partial(process_paused, record) for record in parsed}


def container_pausers(containers: Mapping[str, str]) -> dict[str, Pauser]:
    """A pauser for each container id by service name: SIGSTOP / SIGCONT through `docker kill --signal`."""
    return {name: signalled(partial(docker_signal, cid)) for name, cid in containers.items()}


def docker_signal(container: str, name: str) -> list[str]:
    return ["docker", "kill", "--signal", name, container]


def signalled(command: Callable[[str], Sequence[str]], env: Mapping[str, str] | None = None) -> Pauser:
    """A pauser running ``command(signal name)``: SIGSTOP before the block, SIGCONT after it."""
    return partial(commands_paused, command(STOP), command(CONT), env)
