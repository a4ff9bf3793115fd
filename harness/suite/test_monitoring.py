"""Monitoring signals from the infrastructure guide on the happy path, read the way a scraper and an on-call engineer
would; test_signals.py drives all nine under real faults and reads their alerts from a real Prometheus.

/readyz carries migration drift and dependency health; /metrics (Prometheus) carries auth route errors, sign-in
latency, webhook signature failures, Redis latency, the database pool and migration drift; the audit log records
admin and security events without secrets. Counters are compared before and after this check's own actions, so
parallel checks cannot fake them.
"""

from __future__ import annotations

import json

import httpx
import pytest
from prometheus_client.samples import Sample

from harness import stack
from harness.authz import operator_headers
from harness.client import Account, AuthClient, unique_email

from .flows import ClientFactory, metric_total, scrape_metrics

pytestmark = pytest.mark.monitoring


def scrape(backend_url: str, backend_secrets: dict[str, str]) -> list[Sample]:
    """/metrics as the operator's scraper reads it; skips when metrics are off."""
    samples = scrape_metrics(f"{backend_url}/metrics", operator_headers(backend_secrets["ops_token"]))
    if samples is None:
        pytest.skip("the project was rendered with observability=none: it exposes no /metrics")
    return samples


def test_readyz_reports_database_redis_and_migration_head(backend_url: str, backend_secrets: dict[str, str]) -> None:
    response = httpx.get(f"{backend_url}/readyz", headers=operator_headers(backend_secrets["ops_token"]), timeout=10)
    assert response.status_code == 200, response.text
    body = json.dumps(response.json()).lower()
    for signal in ("database", "redis", "migration"):
        assert signal in body, f"/readyz does not report {signal}: {response.text}"


def test_metrics_count_auth_errors_sign_in_latency_and_webhook_signature_failures(
    backend_url: str, new_client: ClientFactory, backend_secrets: dict[str, str]
) -> None:
    before = scrape(backend_url, backend_secrets)
    client = new_client()
    assert client.sign_in(Account(unique_email("metrics"), password="wrong-password-1")).status_code == 401
    bad = client.http.post(client.url("/stripe/webhook"), content=b"{}", headers={"stripe-signature": "t=1,v1=0"})
    assert bad.status_code == 400
    after = scrape(backend_url, backend_secrets)
    grew = {
        "webhook_signature_failures_total": metric_total(after, "webhook_signature_failures_total")
        > metric_total(before, "webhook_signature_failures_total"),
        "auth_requests_total (4xx)": metric_total(after, "auth_requests_total")
        > metric_total(before, "auth_requests_total"),
        "auth_sign_in_duration_seconds_count": metric_total(after, "auth_sign_in_duration_seconds_count")
        > metric_total(before, "auth_sign_in_duration_seconds_count"),
    }
    assert all(grew.values()), f"metrics that did not move: {[k for k, v in grew.items() if not v]}"
    assert metric_total(after, "redis_ping_duration_seconds_count") > 0, "no Redis latency samples"
    assert metric_total(after, "db_pool_max_connections") >= metric_total(after, "db_pool_size") > 0, (
        "no database pool gauges"
    )
    assert metric_total(after, "migration_drift") == 0, "the deployed database drifted from the code's schema"


def test_audit_log_records_security_events_without_secrets(
    admin_client: AuthClient, signed_in: tuple[AuthClient, Account], deployed: stack.Running
) -> None:
    _, account = signed_in
    response = admin_client.http.get(
        f"{deployed.deployment.deployed().backend_url}/admin/audit-events",
        params={"actor": account.user_id, "limit": 1000},
        timeout=10,
    )
    assert response.status_code == 200, f"/admin/audit-events answered {response.status_code}: {response.text}"
    events = response.json()["events"]
    assert {e["actor_id"] for e in events} <= {account.user_id}, "?actor= returned other users' events"
    names = {e["event"] for e in events}
    assert {"user.created", "session.created"} <= names, f"audit events for a new user: {sorted(names)}"
    dump = json.dumps(events)
    assert account.password not in dump, "the audit log holds a password"
    anonymous = httpx.get(f"{deployed.deployment.deployed().backend_url}/admin/audit-events", timeout=10)
    assert anonymous.status_code in (401, 403)
