"""The fault phase: each of the nine monitoring signals driven by a real fault, read back from a real Prometheus that
evaluates the project's own alert rules (harness.signals; the report's ``signals`` section has one row each).

One module-scoped phase serves every check, on one worker in its own xdist group. It drives its own canary backend,
which Prometheus scrapes alone, so it runs beside the other checks; its last stages stall what every backend shares
(SMTP, the schema, Redis) and run while no other check runs (harness.signals.exclusive). Every signal first waits
for its alert to be quiet. The phase is one long fixture, so it polls the service watch while it waits: a service
that ended stops it within a poll, not at the next check boundary.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from functools import partial
from pathlib import Path

import httpx
import pytest

from harness import stack
from harness.actions import client_for, sign_up_verified
from harness.browser import NOT_RUN_PREFIX
from harness.client import Account, AuthClient, unique_email
from harness.deploy.context import Context
from harness.drills.backends import Backend, own_backend
from harness.drills.lock import vault_secret_lock
from harness.failfast import ServiceWatch
from harness.native.orchestrate import Registry, start_service, stop_all
from harness.providers import provider_class
from harness.services import prometheus
from harness.services.launch import RunContext
from harness.services.mail.client import MailpitClient
from harness.signals import exclusive
from harness.signals.faults import Target, on_database
from harness.signals.phase import SIGNALS, Phase, Probe, Result, Stopped, never, value
from harness.signals.rules import RULES_PATH, alert_names, rehearsal_rules

pytestmark = [pytest.mark.monitoring, pytest.mark.xdist_group(exclusive.GROUP)]

REQUIRE_ENV = "HARNESS_REQUIRE_PROMETHEUS"  # "1": no prometheus binary fails the phase instead of "not run"


@pytest.fixture(scope="module")
def canary(deployed: stack.Running, ctx: Context) -> Iterator[Backend]:
    """The phase's own backend: the deployed code, configuration and Vault secret in a process of its own (see
    harness.signals.phase). It starts under the drills' lock: a drill may be holding a temporary secret in Vault."""
    with ExitStack() as running:
        with vault_secret_lock(deployed.handle.run_dir):
            backend = running.enter_context(own_backend(ctx, "signals-canary"))
        yield backend


@pytest.fixture(scope="module")
def prom(deployed: stack.Running, canary: Backend, backend_secrets: dict[str, str]) -> Iterator[prometheus.Prometheus]:
    """A native Prometheus scraping the canary alone and evaluating the project's rules (rehearsal timing)."""
    rules_file = deployed.project.root / RULES_PATH
    if not rules_file.is_file():
        pytest.skip(f"the project ships no {RULES_PATH} (rendered with observability=none)")
    try:
        prometheus.find_binary()
    except Exception as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{exc} ({REQUIRE_ENV}=1)", pytrace=False)
        pytest.skip(f"{NOT_RUN_PREFIX}{exc}")
    ctx = RunContext(run_dir=Path(deployed.handle.run_dir) / "signals")
    registry = Registry()
    try:
        started = start_service(prometheus.SERVICE, ctx, registry)
        server = prometheus.Prometheus(started.launch.endpoints["prometheus_url"], ctx.service_dir(prometheus.NAME))
        shipped = rules_file.read_text()
        worker = deployed.deployment.worker_metrics_url
        server.watch(canary.url, backend_secrets["ops_token"], rehearsal_rules(shipped), worker)
        assert server.scraping(), "Prometheus cannot scrape the canary backend's /metrics with the operator token"
        assert not worker or server.scraping("worker"), "Prometheus cannot scrape the queue worker's /metrics"
        assert server.rule_names() == set(alert_names(shipped)), "Prometheus did not load the project's alert rules"
        yield server
    finally:
        stop_all(registry.records)


def run_stopping(config: pytest.Config) -> Callable[[], str]:
    """Why the run stops now, from this process's service watch ("" while the stack's services run)."""
    watch = config.pluginmanager.get_plugin("kernia-harness-watch")
    return watch.reason_to_stop if isinstance(watch, ServiceWatch) else never


@pytest.fixture(scope="module")
def phase(
    pytestconfig: pytest.Config,
    prom: prometheus.Prometheus,
    deployed: stack.Running,
    canary: Backend,
    frontend_url: str,
    backend_secrets: dict[str, str],
    mail: MailpitClient,
    admin_client: AuthClient,
    admin_account: Account,
) -> dict[str, Result]:
    def make_account(label: str) -> Account:
        with canary.client() as client:
            return sign_up_verified(client, mail, Account(unique_email(label)))

    with client_for(canary.auth_base_url, frontend_url, cookie=admin_client.session_cookie) as admin:
        target = Target(
            auth_base_url=canary.auth_base_url,
            frontend_url=frontend_url,
            database_url=on_database(deployed.handle.endpoints.database_url, deployed.deployment.database),
            mail=mail,
            admin=admin,
            make_account=make_account,
            pausers=provider_class(deployed.handle.provider).pausers(deployed.handle),
            pool_limit=int(value(prom, "max(db_pool_max_connections)")),
        )
        probe = Probe(
            backend_url=canary.url,
            operator={"Authorization": f"Bearer {backend_secrets['ops_token']}"},
            admin_get=lambda path, params: admin.http.get(f"{canary.url}{path}", params=params, timeout=15),
            admin_id=admin_account.user_id or "",
        )
        alone = partial(exclusive.holding, deployed.handle.run_dir, exclusive=True)
        try:
            return Phase(prom, target, probe, stop=run_stopping(pytestconfig), alone=alone).run()
        except Stopped as exc:
            pytest.fail(f"the fault phase stopped: {exc}", pytrace=False)


@pytest.mark.parametrize("name", [signal.name for signal in SIGNALS])
def test_signal_fires_under_its_fault(
    name: str, phase: dict[str, Result], record_property: pytest.RecordProperty
) -> None:
    result = phase[name]
    record_property("signals", [result.row()])
    if result.status == "skipped":
        pytest.skip(result.detail)
    assert result.status == "passed", f"{name}: {result.detail}"


def test_stack_is_healthy_after_the_fault_phase(
    phase: dict[str, Result], prom: prometheus.Prometheus, backend_url: str, backend_secrets: dict[str, str]
) -> None:
    operator = {"Authorization": f"Bearer {backend_secrets['ops_token']}"}
    response = httpx.get(f"{backend_url}/readyz", headers=operator, timeout=15)
    assert response.status_code == 200, f"/readyz after the fault phase: {response.status_code} {response.text}"
    active = prom.alerts()
    assert not active, f"alerts still active after the fault phase: {active}"
