"""The harness's Prometheus: started natively, it scrapes a /metrics endpoint with the operator token from its file,
evaluates the rehearsal-timed rules, and reports the alert through /api/v1/alerts; stopped, nothing is left."""

from __future__ import annotations

import stat
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.console import silent
from harness.native.orchestrate import Registry, start_all, stop_all
from harness.ports import LOCALHOST
from harness.services import prometheus
from harness.services.launch import RunContext
from harness.signals.phase import wait_for
from harness.signals.rules import rehearsal_rules
from tests.helpers.render import REPO_ROOT

TOKEN = "operator-token-for-the-test"


class Backend:
    """A /metrics endpoint that answers only the operator token, with a drift gauge the test sets."""

    def __init__(self) -> None:
        self.drift = 0
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self.send_response(401)
                    self.end_headers()
                    return
                body = f"migration_drift {backend.drift}\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer((LOCALHOST, 0), Handler)
        self.url = f"http://{LOCALHOST}:{self.server.server_port}"


@pytest.fixture
def backend() -> Iterator[Backend]:
    stub = Backend()
    thread = threading.Thread(target=stub.server.serve_forever, daemon=True)
    thread.start()
    yield stub
    stub.server.shutdown()


@pytest.fixture
def server(tmp_path: Path, prometheus_binary: str) -> Iterator[prometheus.Prometheus]:
    ctx = RunContext(run_dir=tmp_path)
    registry = Registry()
    try:
        (started,) = start_all(ctx, registry, silent, (prometheus.SERVICE,))
        yield prometheus.Prometheus(started.launch.endpoints["prometheus_url"], ctx.service_dir(prometheus.NAME))
    finally:
        stop_all(registry.records)
    assert all(record.process() is None for record in registry.records), "Prometheus still running after stop"


def test_alert_fires_and_resolves_from_scraped_metrics(server: prometheus.Prometheus, backend: Backend) -> None:
    rules = rehearsal_rules((REPO_ROOT / "compose" / "config" / "alerts.yml").read_text())
    server.watch(backend.url, TOKEN, rules)
    token = server.home / "ops-token"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600 and TOKEN not in (server.home / "prometheus.yml").read_text()
    assert server.scraping(), "Prometheus did not scrape the stub with the token"
    assert "MigrationDrift" in server.rule_names()
    assert wait_for(server, "MigrationDrift", {None}, 5) is not None
    backend.drift = 1
    assert wait_for(server, "MigrationDrift", {"firing"}, 20) is not None
    backend.drift = 0
    assert wait_for(server, "MigrationDrift", {None}, 20) is not None


def test_wrong_token_is_not_scraped(server: prometheus.Prometheus, backend: Backend) -> None:
    """Negative control: the scrape really carries the token (the stub refuses anything else)."""
    server.watch(backend.url, "not-the-token", "groups: []\n")
    time.sleep(5)
    assert not server.scraping(timeout=3)
