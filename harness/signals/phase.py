"""The nine monitoring signals of Kernia's infrastructure guide, each driven by a real fault and read back from a
real Prometheus: quiet before, metric moved and alert firing during (plus what /readyz or the audit log says),
alert resolved after the revert.

The phase drives a canary (harness.signals.canary: the deployed code and Vault secret in a backend of its own, on
its own database, Redis and mail server), and Prometheus scrapes the canary alone: the rest of the rehearsal's
traffic (4xx bursts, forged callbacks, bad webhooks, admin changes) never reaches the alerts, and no fault reaches
a check. So the whole phase runs beside the other checks.

Time: a signal costs the alert's lag to fire (a scrape and an evaluation, ~1-2 s) plus ``WINDOW`` to resolve, so
faults run side by side where they can, in stages (measured alone on 2 cores: five stages at a 2 s scrape and a
10 s window took 66 s; four at 1 s and 5 s ~35 s):

1. the error-rate signal alone, first: every other fault adds auth errors, so none may overlap it;
2. the faults on the canary's traffic, rows and mail: slowed sign-ins (a row lock on their own user), forged OAuth
   callbacks, bad webhooks, admin role changes and SMTP refusing magic links. The accounts the faults use are
   signed up (verified through the mailbox) before any fault, so no later fault can stall them;
3. the canary's pool held to its limit: in stage 2 it would stall the other faults' requests and blur their alerts;
4. Redis paused, and out-of-band DDL. Redis cannot share a stage with the pool or SMTP faults: requests waiting on
   the paused Redis hold their connections and mail, so the pool alert can fire at 90 % while /readyz still gets a
   connection (seen in CI: "database: reachable"), and the evidence depends on which fault the race favoured. The
   DDL takes no traffic: its evidence is /readyz's migrations check, which needs no Redis.

Fail fast: every wait polls ``Phase.stop`` (the worker's service watch), so a service that ended stops the phase
within a poll (``Stopped``) instead of letting each signal run into its timeout.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from harness import tls
from harness.actions import require
from harness.services.prometheus import Prometheus
from harness.signals import faults
from harness.signals.faults import Target
from harness.signals.rules import WINDOW

QUIET_TIMEOUT = 90.0  # an alert raised by the rest of the rehearsal gets this long to clear before the fault
FIRE_TIMEOUT = 60.0
RESOLVE_TIMEOUT = 90.0
POLL = 0.2  # seconds between two reads of the alerts (Prometheus evaluates every second)
PEAK_TIMEOUT = 3.0  # seconds the metric gets to show the fault once its alert fired

Evidence = Callable[["Probe", Any], str]


@dataclass(frozen=True)
class Probe:
    """How the phase reads the backend the way an operator does: detailed /readyz and the audit log."""

    backend_url: str
    operator: dict[str, str]
    admin_get: Callable[[str, dict[str, Any]], httpx.Response]
    admin_id: str

    def readyz(self) -> tuple[int, dict[str, Any]]:
        response = tls.get(f"{self.backend_url}/readyz", headers=self.operator, timeout=15)
        return response.status_code, response.json()


@dataclass(frozen=True)
class Signal:
    name: str  # as the guide words it
    fault: str
    metric: str  # PromQL whose value the fault moves
    alert: str
    inject: Callable[[Target], AbstractContextManager[Any]]
    evidence: Evidence | None = None  # checked while the fault is on


def readyz_names(check: str, words: str) -> Evidence:
    """/readyz answers 503 and its ``check`` detail contains ``words``."""

    def look(probe: Probe, _: Any) -> str:
        status, body = probe.readyz()
        detail = body.get("checks", {}).get(check, {}).get("detail", "")
        require(status == 503 and words in detail, f"/readyz answered {status} {body} (expected {check}: {words})")
        return f"/readyz 503, {check}: {detail}"

    return look


def audited(event: str) -> Evidence:
    """The audit log holds ``event`` by the admin on the subject the fault yielded."""

    def look(probe: Probe, subject_id: str) -> str:
        response = probe.admin_get("/admin/audit-events", {"event": event, "limit": 1000})
        require(response.status_code == 200, f"/admin/audit-events answered {response.status_code}")
        events = response.json()
        events = events.get("events", events) if isinstance(events, dict) else events
        mine = [e for e in events if e["event"] == event and e.get("subject_id") == subject_id]
        require(mine, f"no {event} on {subject_id} in the audit log")
        require(all(e.get("actor_id") == probe.admin_id for e in mine), f"{event} not attributed to the admin")
        return f"audit log: {len(mine)} x {event} by the admin"

    return look


SIGNALS: tuple[Signal, ...] = (
    Signal(
        "auth route error rates",
        "burst of failing sign-ins (unknown addresses, wrong passwords), each from a new client address",
        'sum(auth_requests_total{status=~"[45].."})',
        "AuthRouteErrorRateHigh",
        faults.failing_sign_ins,
    ),
    Signal(
        "sign-in latency",
        "sign-ins of one user wait on a PostgreSQL row lock of the user held 3 s by a superuser transaction",
        f"histogram_quantile(0.95, sum by (le) (rate(auth_sign_in_duration_seconds_bucket[{WINDOW}])))",
        "SignInLatencyHigh",
        faults.slow_sign_ins,
    ),
    Signal(
        "email delivery failure",
        "SMTP refuses every recipient (the mail server's chaos API, 451) while magic links are requested",
        "sum(email_delivery_failures_total)",
        "EmailDeliveryFailing",
        faults.smtp_refusing,
    ),
    Signal(
        "OAuth callback failure",
        "OIDC callbacks with a forged state and code",
        "sum(oauth_callback_failures_total)",
        "OAuthCallbackFailures",
        faults.bad_callbacks,
    ),
    Signal(
        "webhook signature failures",
        "Stripe webhooks signed with a wrong secret",
        "sum(webhook_signature_failures_total)",
        "WebhookSignatureFailures",
        faults.bad_webhooks,
    ),
    Signal(
        "migration drift",
        f'out-of-band DDL: ALTER TABLE "user" ADD COLUMN {faults.DRIFT_COLUMN}, dropped again',
        "max(migration_drift)",
        "MigrationDrift",
        faults.schema_drift,
        readyz_names("migrations", "columns differ in: user"),
    ),
    Signal(
        "database pool saturation",
        "every pool connection held by sign-outs waiting on a PostgreSQL row lock of their session",
        "max(db_pool_connections_in_use / db_pool_max_connections)",
        "DatabasePoolSaturated",
        lambda target: faults.pool_held(target, target.pool_limit + 2),
        readyz_names("database", "TimeoutError"),
    ),
    Signal(
        "Redis latency",
        "the Redis server paused (SIGSTOP), then resumed (SIGCONT)",
        "sum(redis_ping_failures_total)",
        "RedisLatencyHigh",
        lambda target: target.pause_redis(),
        readyz_names("redis", "TimeoutError"),
    ),
    Signal(
        "unexpected admin config changes",
        "an admin grants and withdraws the admin role of a user through the admin API",
        "sum(admin_changes_total)",
        "AdminConfigChanged",
        faults.admin_role_changes,
        audited("admin.role_changed"),
    ),
)


Stage = tuple[str, ...]  # signals driven side by side

# Run in this order (see the module docstring).
STAGES: tuple[Stage, ...] = (
    ("auth route error rates",),
    (
        "sign-in latency",
        "OAuth callback failure",
        "webhook signature failures",
        "unexpected admin config changes",
        "email delivery failure",
    ),
    ("database pool saturation",),
    ("Redis latency", "migration drift"),
)


class Stopped(Exception):
    """The run is stopping (a service the harness started has ended): the phase gives up at once."""


@dataclass
class Result:
    signal: Signal
    status: str = "failed"  # passed | failed
    seconds: float = 0.0
    before: float | None = None
    during: float | None = None
    fired_after: float | None = None
    resolved_after: float | None = None
    evidence: str = ""
    detail: str = ""
    answers: dict[str, int] = field(default_factory=dict)  # what the backend answered the fault's requests

    def row(self) -> dict[str, Any]:
        """The report's entry for this signal."""
        return {
            "signal": self.signal.name,
            "fault": self.signal.fault,
            "metric": self.signal.metric,
            "metric_before": self.before,
            "metric_during": self.during,
            "alert": self.signal.alert,
            "fired_after": _round(self.fired_after),
            "resolved_after": _round(self.resolved_after),
            "evidence": self.evidence,
            "answers": self.answers,
            "status": self.status,
            "seconds": round(self.seconds, 1),
            "detail": self.detail,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def value(prometheus: Prometheus, expr: str, at: str | None = None) -> float:
    """The expression's (single) value now (or at ``at``); no sample or NaN reads as 0."""
    samples = prometheus.query(expr, at)
    number = float(samples[0]["value"][1]) if samples else 0.0
    return 0.0 if math.isnan(number) else round(number, 3)


def never() -> str:
    return ""


def peak(
    prometheus: Prometheus,
    expr: str,
    *,
    above: float,
    fired_at: str | None,
    timeout: float = PEAK_TIMEOUT,
    stop: Callable[[], str] = never,
) -> float:
    """The expression's value at ``fired_at`` (the rule evaluation that raised the alert, which evaluated this very
    expression then), else its highest value over up to ``timeout`` s, as soon as it exceeds ``above``. A rate over
    a short window reads 0 whenever no sample of the fault's requests falls inside it: read only "now", CI saw the
    sign-in latency alert firing while its p95 read 0.0, even over 3 s of polling."""
    highest = value(prometheus, expr, fired_at) if fired_at else 0.0
    highest, deadline = max(highest, value(prometheus, expr)), time.monotonic() + timeout
    while highest <= above and time.monotonic() < deadline:
        if reason := stop():
            raise Stopped(reason)
        time.sleep(POLL)
        highest = max(highest, value(prometheus, expr))
    return highest


def wait_for(
    prometheus: Prometheus,
    alert: str,
    states: set[str | None],
    timeout: float,
    stop: Callable[[], str] = never,
) -> float | None:
    """Seconds until ``alert``'s state (None when inactive) is in ``states``; None on timeout. Raises ``Stopped``
    as soon as ``stop`` gives a reason."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if reason := stop():
            raise Stopped(reason)
        if prometheus.alerts().get(alert) in states:
            return time.monotonic() - began
        time.sleep(POLL)
    return None


@dataclass
class Phase:
    prometheus: Prometheus
    target: Target
    probe: Probe
    stop: Callable[[], str] = never  # a reason to give up now ("" while the run goes on)
    results: dict[str, Result] = field(default_factory=dict)

    def run(self, stages: Sequence[Stage] = STAGES) -> dict[str, Result]:
        by_name = {signal.name: signal for signal in SIGNALS}
        self.target.prepare()  # the faults' users, before any fault can stall their sign-up (a no-op if made)
        for stage in stages:
            with ThreadPoolExecutor(max_workers=len(stage), thread_name_prefix="signals") as pool:
                for result in pool.map(lambda name: self.drive(by_name[name]), stage):
                    self.results[result.signal.name] = result
        return self.results

    def drive(self, signal: Signal) -> Result:
        result = Result(signal)
        target = replace(self.target, answers=Counter())  # this signal's own tally of answers
        began = time.monotonic()
        try:
            self._cycle(signal, target, result)
            result.status = "passed"
        except Stopped:
            raise
        except Exception as exc:  # the check's own words in the report, whatever failed
            result.detail = str(exc) or type(exc).__name__
        result.seconds = time.monotonic() - began
        result.answers = dict(sorted(target.answers.items()))
        return result

    def _cycle(self, signal: Signal, target: Target, result: Result) -> None:
        """Quiet, fault (metric moves, alert fires, evidence), revert (alert resolves)."""
        prom, stop = self.prometheus, self.stop
        quiet_after = wait_for(prom, signal.alert, {None}, QUIET_TIMEOUT, stop)
        require(
            quiet_after is not None,
            f"{signal.alert} was already active and did not clear within {QUIET_TIMEOUT:.0f} s before the fault",
        )
        result.before = value(prom, signal.metric)
        with signal.inject(target) as handle:
            result.fired_after = wait_for(prom, signal.alert, {"firing"}, FIRE_TIMEOUT, stop)
            fired_at = prom.active_since(signal.alert) if result.fired_after is not None else None
            result.during = peak(prom, signal.metric, above=result.before, fired_at=fired_at, stop=stop)
            require(result.fired_after is not None, f"{signal.alert} did not fire within {FIRE_TIMEOUT:.0f} s")
            if signal.evidence is not None:
                result.evidence = signal.evidence(self.probe, handle)
        require(result.during > result.before, f"{signal.metric} did not move ({result.before} -> {result.during})")
        result.resolved_after = wait_for(prom, signal.alert, {None}, RESOLVE_TIMEOUT, stop)
        require(
            result.resolved_after is not None,
            f"{signal.alert} still active {RESOLVE_TIMEOUT:.0f} s after the fault was reverted",
        )
