"""The fault phase on a thread beside the checks, and its outcome for the checks that report it.

The phase spends most of its ~25 s waiting on Prometheus, so it does not take a pytest-xdist worker: one process
(xdist's ``gw0``, or the only process of an in-process run) starts it on a thread as soon as it has collected a
selection that holds the signal checks, and the other checks go on meanwhile on every worker: the phase's faults
act on its own canary (harness.signals.canary), never on what they use.

The outcome goes to a JSON file in the run directory, written once; the signal checks (any worker) wait for it,
polling the service watch, and report one row each. A run that stops (Ctrl-C, a service that ended) stops the
phase within a poll, and its process waits for the faults to be reverted before it ends.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness import stack
from harness.actions import client_for, promote_admin, sign_in, sign_up_verified
from harness.authz import operator_headers
from harness.browser import NOT_RUN_PREFIX
from harness.client import Account, unique_email
from harness.drills.backends import Backend, on_database
from harness.failfast import ServiceWatch
from harness.native.orchestrate import Registry, start_service, stop_all
from harness.project import Project
from harness.services import prometheus
from harness.services.launch import RunContext
from harness.signals.canary import canary_deployment
from harness.signals.faults import Target
from harness.signals.phase import Phase, Probe, Stopped, never, value
from harness.signals.rules import RULES_PATH, alert_names, rehearsal_rules

REQUIRE_ENV = "HARNESS_REQUIRE_PROMETHEUS"  # "1": no prometheus binary fails the phase instead of "not run"
OUTCOME_NAME = "phase.json"
OUTCOME_TIMEOUT = 900.0  # seconds a signal check waits for the phase: far beyond its stages' own timeouts
MARKER = "fault_phase"  # the checks that report the phase


def reports_the_phase(item: pytest.Item) -> bool:
    """A check that waits for the fault phase's outcome (they come last: harness.suite.conftest)."""
    return item.get_closest_marker(MARKER) is not None


class NotRun(Exception):
    """The phase cannot run here (no rules shipped, no Prometheus): its checks skip with this reason."""


@dataclass
class Outcome:
    """What the phase left for its checks: ``status`` passed (it ran; each row has its own verdict), skipped,
    failed (it could not run: ``detail`` says why) or stopped (the run is stopping)."""

    status: str
    detail: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)  # one per signal (phase.Result.row)
    alerts_after: dict[str, str] = field(default_factory=dict)  # active alerts once every fault was reverted

    def row(self, signal: str) -> dict[str, Any]:
        return next(row for row in self.rows if row["signal"] == signal)


def outcome_path(run_dir: Path) -> Path:
    return Path(run_dir) / "signals" / OUTCOME_NAME


def wait_for_outcome(run_dir: Path, stop: Callable[[], str], timeout: float = OUTCOME_TIMEOUT) -> Outcome:
    """The phase's outcome once it is written; ``stopped`` when ``stop`` gives a reason first."""
    path, deadline = outcome_path(run_dir), time.monotonic() + timeout
    while not path.is_file():
        if reason := stop():
            return Outcome("stopped", reason)
        if time.monotonic() > deadline:
            return Outcome("failed", f"the fault phase wrote no outcome within {timeout:.0f} s ({path})")
        time.sleep(0.2)
    return Outcome(**json.loads(path.read_text()))


def write_outcome(run_dir: Path, outcome: Outcome) -> None:
    path = outcome_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial_path = path.with_suffix(".partial")
    partial_path.write_text(json.dumps(asdict(outcome)))
    os.replace(partial_path, path)  # the checks never read half a file


@dataclass
class PhaseRunner:
    """Runs the fault phase against a deployed stack on a thread of its own."""

    running: stack.Running
    stop: Callable[[], str]  # the service watch's reason to stop ("" while the run goes on)
    stopping: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="signals-phase", daemon=True)
        self.thread.start()

    def finish(self, *, interrupted: bool) -> None:
        """Wait for the phase to end (at once, its faults reverted, when the run is ``interrupted``)."""
        if interrupted:
            self.stopping.set()
        if self.thread is not None:
            self.thread.join()

    def reason_to_stop(self) -> str:
        return "the run is stopping" if self.stopping.is_set() else self.stop()

    def _run(self) -> None:
        run_dir = Path(self.running.handle.run_dir)
        try:
            outcome = self._phase()
        except NotRun as exc:
            outcome = Outcome("skipped", str(exc))
        except Stopped as exc:
            outcome = Outcome("stopped", str(exc))
        except Exception as exc:  # the checks report it: the phase could not run
            outcome = Outcome("failed", f"{type(exc).__name__}: {exc}")
        write_outcome(run_dir, outcome)

    def _phase(self) -> Outcome:
        running = self.running
        rules_file = running.project.root / RULES_PATH
        if not rules_file.is_file():
            raise NotRun(f"the project ships no {RULES_PATH} (rendered with observability=none)")
        try:
            prometheus.find_binary()
        except Exception as exc:
            if os.environ.get(REQUIRE_ENV) == "1":
                raise RuntimeError(f"{exc} ({REQUIRE_ENV}=1)") from exc
            raise NotRun(f"{NOT_RUN_PREFIX}{exc}") from exc
        ctx = running.context()
        secrets = ctx.vault.read()
        frontend_url = running.deployment.deployed().frontend_url
        with ExitStack() as resources:
            own = resources.enter_context(canary_deployment(running))
            canary, rules = own.backend, rules_file.read_text()
            watch = watching(running.handle.run_dir, canary, own.worker_metrics_url, secrets["ops_token"], rules)
            prom = resources.enter_context(watch)

            def make_account(label: str) -> Account:
                with canary.client() as client:
                    return sign_up_verified(client, own.mail, Account(unique_email(label)))

            admin_account = make_account("signals-admin")
            promote_admin(ctx, admin_account.email, database_url=own.database_url)
            admin = resources.enter_context(client_for(canary.auth_base_url, frontend_url))
            sign_in(admin, admin_account)

            target = Target(
                auth_base_url=canary.auth_base_url,
                frontend_url=frontend_url,
                database_url=on_database(running.handle.endpoints.database_url, own.database),
                mail=own.mail,
                admin=admin,
                make_account=make_account,
                pause_redis=own.pause_redis,
                pool_limit=int(value(prom, "max(db_pool_max_connections)")),
            )
            probe = Probe(
                backend_url=canary.url,
                operator=operator_headers(secrets["ops_token"]),
                admin_get=lambda path, params: admin.http.get(f"{canary.url}{path}", params=params, timeout=15),
                admin_id=admin_account.user_id or "",
            )
            results = Phase(prom, target, probe, stop=self.reason_to_stop).run()
            return Outcome("passed", rows=[result.row() for result in results.values()], alerts_after=prom.alerts())


@contextmanager
def watching(
    run_dir: Path, canary: Backend, worker: str | None, ops_token: str, shipped: str
) -> Iterator[prometheus.Prometheus]:
    """A native Prometheus scraping the canary alone (and its queue worker's metrics at ``worker``) and evaluating
    the project's rules at rehearsal timing; stopped on exit."""
    ctx = RunContext(run_dir=Path(run_dir) / "signals")
    registry = Registry()
    try:
        started = start_service(prometheus.SERVICE, ctx, registry)
        server = prometheus.Prometheus(started.launch.endpoints["prometheus_url"], ctx.service_dir(prometheus.NAME))
        server.watch(canary.url, ops_token, rehearsal_rules(shipped), worker)
        if not server.scraping():
            raise RuntimeError("Prometheus cannot scrape the canary backend's /metrics with the operator token")
        if worker and not server.scraping("worker"):
            raise RuntimeError("Prometheus cannot scrape the queue worker's /metrics")
        if server.rule_names() != set(alert_names(shipped)):
            raise RuntimeError("Prometheus did not load the project's alert rules")
        yield server
    finally:
        stop_all(registry.records)


def register(config: pytest.Config) -> None:
    """In the one process that runs it, the phase starts on a thread once the checks are collected."""
    if designated(config):
        starter = PhaseStarter(Path(config.getoption("--harness-project")), run_stopping(config))
        config.pluginmanager.register(starter, "kernia-harness-signals")


def run_stopping(config: pytest.Config) -> Callable[[], str]:
    """Why the run stops now, from this process's service watch ("" while the stack's services run)."""
    watch = config.pluginmanager.get_plugin("kernia-harness-watch")
    return watch.reason_to_stop if isinstance(watch, ServiceWatch) else never


def designated(config: pytest.Config) -> bool:
    """The one process that runs the phase: xdist's first worker, or the only process of an in-process run (the
    xdist controller runs no checks)."""
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        return bool(worker["workerid"] == "gw0")
    workers = getattr(config.option, "numprocesses", None)
    return not (isinstance(workers, int) and workers > 0)  # xdist starts workers only for a positive count


class PhaseStarter:
    """pytest plugin of the designated process: starts the phase once the selection holds a signal check, and
    waits for it when the session ends (stopping it first when the run was interrupted)."""

    def __init__(self, project_root: Path, stop: Callable[[], str]) -> None:
        self.project_root = project_root
        self.stop = stop
        self.runner: PhaseRunner | None = None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not any(reports_the_phase(item) for item in session.items):
            return
        try:
            running = stack.load(Project.load(self.project_root))
        except stack.StackError:
            return  # no stack: the checks' fixtures say so
        if running.deployment.failed_steps or not running.deployment.backend_url:
            return  # the checks fail on the deployment, not on the phase
        self.runner = PhaseRunner(running, self.stop)
        self.runner.start()

    def pytest_sessionfinish(self, exitstatus: int) -> None:
        if self.runner is not None:
            self.runner.finish(interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
