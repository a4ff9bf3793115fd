"""pytest plugin: bring a project's stack up once, deploy it, run the rehearsal suite against it, tear it down.

The controller process (the only process without xdist, the xdist controller with it) owns the stack: it starts
and deploys it in ``pytest_configure`` before any worker exists, and stops it in ``pytest_unconfigure``, also on
failure or Ctrl-C. Workers find the same deployed stack through the project's state record, so one stack serves
every worker. The plugin is inert unless ``--harness-provider`` or ``--harness-running`` is given.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness import interrupts, options, stack
from harness.browser import NOT_RUN_PREFIX, require_browser_default
from harness.console import console, error, info, progress
from harness.failfast import SERVER_ERRORS, ServerErrors, ServiceWatch, request_log_detail, secrets_of
from harness.project import Project
from harness.providers.base import ProviderError
from harness.report import SECONDS_PROPERTY, Outcome, Report
from harness.signals import runner
from harness.signals.phase import SIGNALS
from harness.state import StackState

SIGNAL_ORDER = {signal.name: index for index, signal in enumerate(SIGNALS)}
STEP_MARKER = "deployment_step"  # the suite's per-step tests, which re-state the deployment record for JUnit


@dataclass
class HarnessSession:
    """The controller's view of this run: what it started, the report it writes."""

    project: Project
    report: Report
    provider: str | None  # None: the checks run against the stack `harness deploy` left running
    keep: bool
    report_path: Path | None
    watch: ServiceWatch
    owns_stack: bool  # this run starts the stack, so it stops it (unless up refused: another run's stack)
    setup_error: str | None = None
    started: float = field(default_factory=time.perf_counter)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the --harness-* options that choose the project, the stack and the report."""
    group = parser.getgroup("kernia-harness", "Kernia deployment rehearsal")
    group.addoption("--harness-project", default=".", help="rendered project directory (default: .)")
    group.addoption("--harness-provider", help="start a stack with this provider, deploy it, and stop it afterwards")
    group.addoption("--harness-running", action="store_true", help="use the stack deployed by `harness deploy`")
    group.addoption("--harness-report", help="write the JSON report to this file")
    group.addoption("--harness-keep", action="store_true", help="leave the stack running after the run")
    group.addoption(
        "--harness-target",
        metavar="URL",
        help="check this backend (same stack, e.g. a canary) instead of the deployed one",
    )
    group.addoption(
        "--harness-require-browser",
        action="store_true",
        default=require_browser_default(),
        help="fail the browser checks when no Chromium is found instead of reporting them not run "
        "(default from HARNESS_REQUIRE_BROWSER=1; use it in CI)",
    )
    group.addoption(
        "--harness-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="provider option, repeatable",
    )


def _active(config: pytest.Config) -> bool:
    return bool(config.getoption("--harness-provider") or config.getoption("--harness-running"))


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def parse_options(pairs: list[str]) -> dict[str, str]:
    """Repeated ``--harness-option KEY=VALUE`` pairs as the provider's options dict."""
    try:
        return options.parse_options(pairs, flag="--harness-option")
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_configure(config: pytest.Config) -> None:
    """Register the suite's markers; on the controller, start and deploy (or load) the stack before collection.

    A stack failure is kept as ``setup_error`` for the report (and no check runs) instead of aborting the session.
    """
    config.addinivalue_line("markers", "intrusion: an attack the deployed backend must refuse")
    config.addinivalue_line("markers", "recovery: backup, restore and verification drill")
    config.addinivalue_line("markers", "rotation: secret rotation drill")
    config.addinivalue_line("markers", "monitoring: the monitoring signals a production deployment alerts on")
    config.addinivalue_line("markers", f"{runner.MARKER}: waits for the fault phase and reports it")
    config.addinivalue_line("markers", "authorization: the route x caller matrix against the declared policies")
    config.addinivalue_line("markers", "browser: a flow driven in headless Chromium against the deployed frontend")
    config.addinivalue_line("markers", f"{STEP_MARKER}: one deployment step's recorded outcome, as a test for JUnit")
    if not _active(config):
        return
    config.pluginmanager.register(ServerErrors(), "kernia-harness-server-errors")
    if _is_worker(config):
        _watch_from_worker(config)
        runner.register(config)  # the fault phase, on a thread beside the checks
        return
    project = Project.load(Path(config.getoption("--harness-project")))
    provider = config.getoption("--harness-provider")
    report_path = config.getoption("--harness-report")
    session = HarnessSession(
        project=project,
        report=Report(provider=provider or "running", project=str(project.root)),
        provider=provider,
        owns_stack=bool(provider),
        keep=config.getoption("--harness-keep"),
        report_path=Path(report_path).resolve() if report_path else None,
        watch=ServiceWatch(config, owner=True),
    )
    config.stash[SESSION_KEY] = session
    recorder = CheckRecorder(session.report, StackState(project.root).run_dir)
    config.pluginmanager.register(recorder, "kernia-harness-recorder")
    config.pluginmanager.register(session.watch, "kernia-harness-watch")
    config.pluginmanager.register(InterruptBoundaries(), "kernia-harness-interrupts")
    interrupts.install(signal.SIGINT, signal.SIGTERM)  # teardown also runs on SIGTERM
    try:
        if provider:
            options = parse_options(config.getoption("--harness-option"))
            if session.keep:
                options["detached"] = "true"  # the stack outlives this run (see `harness up`)
            started = time.perf_counter()
            running = stack.up(project, provider, options, progress)
            session.report.stack_seconds = time.perf_counter() - started
            session.report.set_endpoints(running.handle.endpoints)
            session.watch.watch(running, interrupt=True)
            stack.deploy(running, progress)
        else:
            running = stack.load(project)
            session.report.provider = running.handle.provider
            session.report.set_endpoints(running.handle.endpoints)
        session.watch.watch(running)
        recorder.secrets = secrets_of(running.handle.endpoints)
        session.report.steps = running.deployment.steps or []
    except (ProviderError, stack.StackError) as exc:
        session.owns_stack = session.owns_stack and not isinstance(exc, stack.StackBusy)
        session.setup_error = str(exc)
        error(str(exc))
    except KeyboardInterrupt:
        if session.watch.ended is None:
            raise
        session.watch.stop()  # the deployment was stopped because a service ended: the checks stop at once
        interrupts.clear()  # that interrupt was the watch's
        session.setup_error = session.watch.ended.message()
    runner.register(config)  # the fault phase, on a thread beside the checks


class InterruptBoundaries:
    """pytest plugin (the controller): the end of collection and of each check are boundaries where a Ctrl-C
    that landed where it was swallowed stops the run (harness.interrupts)."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_finish(self) -> None:
        interrupts.check()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logfinish(self) -> None:
        interrupts.check()


def _watch_from_worker(config: pytest.Config) -> None:
    """An xdist worker stops its own checks when a service ended (the controller reports it)."""
    watch = ServiceWatch(config, owner=False)
    try:
        watch.watch(stack.load(Project.load(Path(config.getoption("--harness-project")))))
    except stack.StackError:
        return  # no stack: the suite's fixtures say so
    config.pluginmanager.register(watch, "kernia-harness-watch")


SESSION_KEY = pytest.StashKey[HarnessSession]()


def check_name(nodeid: str) -> str:
    """The test's name with its parameters, without the ``@group`` suffix xdist's loadgroup adds to node ids."""
    name = nodeid.split("::")[-1]
    at = name.rfind("@")
    return name[:at] if at > name.rfind("]") else name


def failure_message(report: pytest.TestReport) -> str:
    """What went wrong, in the check's own words (its assertion message), not a file and line."""
    if isinstance(report.longrepr, str):
        return report.longrepr  # a report the harness made (a service ended): all of it is the message
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        return str(crash.message)
    lines = report.longreprtext.strip().splitlines()
    return lines[-1] if lines else ""


class CheckRecorder:
    """Registered on the controller only: collects every check's outcome (xdist forwards workers' reports)."""

    def __init__(self, report: Report, run_dir: Path | None = None) -> None:
        self.report = report
        self.run_dir = run_dir  # where the backends' logs are, for the lines of a 5xx answer
        self.secrets: tuple[str, ...] = ()

    def teardown_failed(self, report: pytest.TestReport) -> None:
        """A fixture's clean-up raised after the check: pytest counts an error, so the check's row says so too
        (or a row of its own, for a check the report has not seen)."""
        name, detail = check_name(report.nodeid), "teardown: " + failure_message(report)
        for outcome in reversed(self.report.checks):
            if outcome.name == name:
                outcome.status = "error"
                outcome.detail = f"{outcome.detail}\n{detail}" if outcome.detail else detail
                return
        self.report.checks.append(Outcome(name, "error", 0.0, detail))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Record each check's outcome in the report; setup and teardown errors count, step tests do not."""
        if STEP_MARKER in report.keywords:
            return  # steps are reported from the deployment record, with their own timings
        if report.when == "teardown":
            if report.failed:
                self.teardown_failed(report)
            return
        if report.when == "call":
            status = report.outcome
        elif report.when == "setup" and not report.passed:
            status = "skipped" if report.skipped else "error"
        else:
            return
        detail = "" if report.passed else failure_message(report)
        if report.skipped and isinstance(report.longrepr, tuple):
            detail = str(report.longrepr[2]).removeprefix("Skipped: ")
        if report.skipped and detail.startswith(NOT_RUN_PREFIX):
            status = "not run"  # e.g. no browser on this machine: said loudly, never counted as passed
            self.report.warn(detail)
        name = check_name(report.nodeid)
        seconds = dict(report.user_properties).get(SECONDS_PROPERTY, report.duration)
        self.report.checks.append(Outcome(name, status, round(seconds, 3), detail))
        for key, value in report.user_properties:
            if key == "authorization":
                self.report.authorization.extend(value)
            elif key == "evidence":
                self.report.add_evidence(value)
            elif key == SERVER_ERRORS and self.run_dir is not None:
                self.report.checks[-1].detail += "\n" + request_log_detail(self.run_dir, value, self.secrets)
            elif key == "signals":  # in the guide's order, whichever worker reported each
                self.report.signals.extend(value)
                self.report.signals.sort(key=lambda row: SIGNAL_ORDER.get(row["signal"], len(SIGNAL_ORDER)))


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """No check runs when the stack could not be started or deployed (its "stack" step says why): against a stack
    another run started they would pass, and against none each would fail with the same message."""
    harness = session.config.stash.get(SESSION_KEY, None)
    if harness is not None and harness.setup_error and harness.watch.ended is None:  # an end: the watch stops it
        raise session.Failed(harness.setup_error)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the stack the session started (unless kept), then write and render the report, even on failure."""
    session = config.stash.get(SESSION_KEY, None)
    if session is None:
        return
    session.watch.close()  # what teardown stops has not died
    report = session.report
    report.seconds = time.perf_counter() - session.started
    report.interrupted = interrupts.received()  # a signal, not pytest's or xdist's own stop (a service ended)
    if session.owns_stack or session.provider is None:  # a stack another run started is not this run's
        try:
            running = stack.load(session.project)
            report.steps = running.deployment.steps if running.deployment.steps is not None else report.steps
        except stack.StackError:
            pass
    if session.setup_error:
        report.steps.append(Outcome("stack", "failed", 0.0, session.setup_error))
    try:
        if session.owns_stack and not session.keep:
            stack.down(session.project, progress=progress)
    except stack.StackError as exc:
        report.steps.append(Outcome("teardown", "failed", 0.0, str(exc)))
        error(str(exc))
        raise
    finally:
        if session.report_path:
            report.write(session.report_path)
        report.render(console)
    if session.report_path:
        info(f"report written to {session.report_path}")
