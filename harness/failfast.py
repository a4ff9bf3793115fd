"""Fail fast, and say why: stop the checks when a service the harness started ends, naming it; quote the
backend's log lines for a 5xx a failing check received.

Registered by harness.plugin in every pytest process that runs or owns the checks. The controller (the process
that started the stack, or loaded it for ``smoke``) watches on a thread: the terminal names the service within a
second, a deployment still running is interrupted, and at the next check boundary the run stops with the reason
as a failed check (terminal, JUnit, JSON report). An xdist worker polls the same targets after each of its checks
and stops itself, which ends the controller's loop too; a long check polls ``reason_to_stop`` while it waits.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Collection, Generator, Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rich.markup import escape

from harness import client, stack
from harness.app import request_log
from harness.console import stderr_now
from harness.endpoints import Endpoints
from harness.process import mask
from harness.providers import provider_class
from harness.watch import Ended, Watch, WatchTarget, process_targets

ENDED_CHECK = "service_ended"
SERVER_ERRORS = "server_errors"  # the user property that carries a failing check's 5xx answers


def secrets_of(endpoints: Endpoints) -> tuple[str, ...]:
    """Credential values a quoted log line must not carry."""
    passwords = (urlsplit(endpoints.database_url).password, urlsplit(endpoints.redis_url).password)
    return tuple(value for value in (*passwords, endpoints.vault_token) if value)


def stack_targets(running: stack.Running) -> list[WatchTarget]:
    """Everything the harness started for this stack: the provider's services, the sidecars, the deployed apps."""
    handle = running.handle
    secrets = secrets_of(handle.endpoints)
    provided = provider_class(handle.provider).watch_targets(handle, secrets)
    return provided + process_targets(running.app_processes(), secrets)


def ended_reports(ended: Ended) -> list[pytest.TestReport]:
    """The end of a service as one failed check (its call) with an empty teardown, so JUnit closes the case."""
    nodeid = f"harness::{ENDED_CHECK}[{ended.service}]"
    location = ("harness", None, f"{ENDED_CHECK}[{ended.service}]")
    return [
        pytest.TestReport(nodeid, location, {}, outcome, longrepr, when)  # type: ignore[arg-type]
        for outcome, longrepr, when in (("failed", ended.message(), "call"), ("passed", None, "teardown"))
    ]


class ServiceWatch:
    """pytest plugin: watches the stack's services and stops the session when one ends."""

    def __init__(self, config: pytest.Config, *, owner: bool) -> None:
        self.config = config
        self.owner = owner  # the controller: reports the end; a worker only stops itself
        self.ended: Ended | None = None
        self.targets: list[WatchTarget] = []
        self._watch: Watch | None = None
        self._interrupt = False
        self._reported = False
        self._session: pytest.Session | None = None
        self._terminal = stderr_now() if owner else None  # the notice must not be captured as a check's output

    def watch(self, running: stack.Running, *, interrupt: bool = False) -> None:
        """(Re)start watching ``running``; with ``interrupt`` an end also raises KeyboardInterrupt in the main
        thread (a deployment in progress has no check boundary to stop at)."""
        self.stop()
        self.targets = stack_targets(running)
        self._interrupt = interrupt
        if self.owner:
            self._watch = Watch(self.targets, self._on_end).start()

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.stop()
            self._watch = None

    def close(self) -> None:
        self.stop()
        if self._terminal is not None:
            self._terminal.file.close()
            self._terminal = None

    def _on_end(self, ended: Ended) -> None:
        self.ended = ended
        if self._terminal is not None:
            self._terminal.print(f"[red]harness:[/] {escape(ended.message())}\nstopping the run", highlight=False)
        if self._interrupt:
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    def reason_to_stop(self) -> str:
        """Why the run stops ("" while every watched service runs), for a check that waits long and polls this
        rather than run on to its boundary (the signals phase)."""
        if not self.owner and self.ended is None:
            self.ended = self._first_ended()
        return self.ended.reason if self.ended is not None else ""

    def _first_ended(self) -> Ended | None:
        return next((ended for target in self.targets if (ended := target()) is not None), None)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._session = session

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """A service that ended before the checks began (during the deployment): no check runs against it."""
        if self.owner and self.ended is None:  # a deployment can fail faster than the watch's next poll
            self.ended = self._first_ended()
        if self.owner and self.ended is not None:
            self._stop_if_ended()
            raise session.Interrupted(self.ended.reason)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logfinish(self) -> None:
        self._stop_if_ended()

    @pytest.hookimpl(tryfirst=True)  # before JUnit writes its file
    def pytest_sessionfinish(self) -> None:
        self._stop_if_ended()

    def _stop_if_ended(self) -> None:
        if not self.owner and self.ended is None:
            self.ended = self._first_ended()
        if self.ended is None or self._reported:
            return
        self._reported = True
        if self.owner:
            for report in ended_reports(self.ended):
                self.config.hook.pytest_runtest_logreport(report=report)
        if self._session is not None:
            self._session.shouldstop = self.ended.reason
        dsession = self.config.pluginmanager.getplugin("dsession")  # the xdist controller's loop
        if dsession is not None:
            dsession.shouldstop = self.ended.reason


class ServerErrors:
    """pytest plugin (every process running checks): a failing check's report names the 5xx answers it got, by
    request id, so the controller can quote the backend's log lines for them (``request_log_detail``)."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logstart(self) -> None:
        client.server_errors.clear()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if report.failed and client.server_errors:
            # a new list: the report shares the item's, which later reports (and JUnit) would carry too
            report.user_properties = [*report.user_properties, (SERVER_ERRORS, list(client.server_errors))]
        return report


def request_log_detail(run_dir: Path, errors: Iterable[Sequence[str]], secrets: Collection[str] = ()) -> str:
    """For each 5xx answer (request id, what answered): the backend's log lines for that request."""
    parts = []
    for request_id, what in errors:
        lines = request_log(run_dir, request_id) or "(no log line names it)"
        parts.append(f"{what} (request id {request_id}); backend log:\n{mask(lines, secrets)}")
    return "\n".join(parts)
