"""Prometheus for the signals phase: the ``prometheus`` binary on PATH (Debian/Ubuntu: ``apt install prometheus``).

It binds 127.0.0.1, keeps its TSDB in the run directory, scrapes and evaluates every second, so an
alert moves within seconds of its fault. It is not in the catalog's stack-up list: it is optional (the signals
phase skips without it) and has nothing to scrape before the deployment. What it scrapes and which rules it
evaluates are only known then: the config watches a file_sd target file, reads the operator token from a
mode-600 file at each scrape and loads every rules file in its ``rules/`` folder; ``Prometheus.watch`` writes
those three and reloads it. Prometheus itself sends no telemetry anywhere.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness import tls
from harness.endpoints import ServiceInfo
from harness.errors import ProviderError
from harness.ports import free_port
from harness.readiness import HttpStatus
from harness.services import Service
from harness.services.launch import LOCALHOST, Launch, RunContext, binary_version

NAME = "prometheus"
SCRAPE = "1s"  # also the scrape timeout: /metrics bounds each of its probes at 0.5 s
EVALUATE = "1s"

VERSION_PATTERN = r"prometheus, version (\S+)"  # "prometheus, version 2.45.3+ds (branch: ...)"


def find_binary() -> Path:
    found = shutil.which("prometheus")
    if found is None:
        raise ProviderError("no prometheus binary on PATH: install it with `apt install prometheus`")
    return Path(found)


def config(home: Path) -> dict[str, Any]:
    """Scrape the backend named in ``targets.json`` with the token in ``ops-token`` and the queue worker named in
    ``worker-targets.json`` (none without one); load ``rules/*.yml``."""
    return {
        "global": {"scrape_interval": SCRAPE, "scrape_timeout": SCRAPE, "evaluation_interval": EVALUATE},
        "rule_files": [str(home / "rules" / "*.yml")],
        "scrape_configs": [
            {
                "job_name": "backend",
                "metrics_path": "/metrics",
                "authorization": {"type": "Bearer", "credentials_file": str(home / "ops-token")},
                "file_sd_configs": [{"files": [str(home / "targets.json")], "refresh_interval": EVALUATE}],
            },
            {
                "job_name": "worker",
                "file_sd_configs": [{"files": [str(home / "worker-targets.json")], "refresh_interval": EVALUATE}],
            },
        ],
    }


def plan(ctx: RunContext) -> Launch:
    binary = find_binary()
    home = ctx.service_dir(NAME)
    (home / "rules").mkdir(exist_ok=True)
    for targets in ("targets.json", "worker-targets.json"):
        (home / targets).write_text("[]\n")
    (home / "prometheus.yml").write_text(json.dumps(config(home), indent=2))  # YAML is a superset of JSON
    url = f"http://{LOCALHOST}:{(port := free_port())}"
    return Launch(
        name=NAME,
        argv=[
            str(binary),
            f"--config.file={home / 'prometheus.yml'}",
            f"--storage.tsdb.path={home / 'data'}",
            f"--web.listen-address={LOCALHOST}:{port}",
            "--web.enable-lifecycle",  # POST /-/reload picks up the rules written after the deployment
            "--storage.tsdb.retention.time=1d",
        ],
        probes=[HttpStatus(f"{url}/-/ready")],
        info=ServiceInfo(NAME, "Prometheus", binary_version([str(binary), "--version"], VERSION_PATTERN), "native"),
        endpoints={"prometheus_url": url},
        cwd=home,
    )


SERVICE = Service(name=NAME, plan=plan, external={}, external_label="", external_optional=True)


@dataclass
class Prometheus:
    """A Prometheus the harness configured (``home`` is its service directory), read through its HTTP API."""

    url: str
    home: Path

    def watch(self, backend_url: str, ops_token: str, rules: str, worker_metrics_url: str | None = None) -> None:
        """Scrape ``backend_url`` with the operator token (and the queue worker's metrics, which a project with a
        queue counts its email failures in) and evaluate ``rules`` (a rules file's text)."""
        token = self.home / "ops-token"
        token.touch(mode=0o600)
        token.chmod(0o600)
        token.write_text(ops_token)
        (self.home / "rules" / "signals.yml").write_text(rules)
        target = urlsplit(backend_url)
        targets = [{"targets": [target.netloc], "labels": {"__scheme__": target.scheme}}]
        (self.home / "targets.json").write_text(json.dumps(targets))
        if worker_metrics_url:
            worker = urlsplit(worker_metrics_url)
            labels = {"__scheme__": worker.scheme, "__metrics_path__": worker.path}
            (self.home / "worker-targets.json").write_text(json.dumps([{"targets": [worker.netloc], "labels": labels}]))
        httpx.post(f"{self.url}/-/reload", timeout=10).raise_for_status()

    def alerts(self) -> dict[str, str]:
        """Active alerts by name: ``pending`` or ``firing`` (resolved alerts are not listed)."""
        response = tls.get(f"{self.url}/api/v1/alerts", timeout=10)
        response.raise_for_status()
        return {a["labels"]["alertname"]: a["state"] for a in response.json()["data"]["alerts"]}

    def active_since(self, alert: str) -> str | None:
        """When ``alert`` became active: the timestamp (RFC 3339) of the rule evaluation that raised it."""
        response = tls.get(f"{self.url}/api/v1/alerts", timeout=10)
        response.raise_for_status()
        active = [a["activeAt"] for a in response.json()["data"]["alerts"] if a["labels"]["alertname"] == alert]
        return active[0] if active else None

    def query(self, expr: str, at: str | None = None) -> list[dict[str, Any]]:
        """``expr``'s samples now, or at the time ``at`` (RFC 3339)."""
        params = {"query": expr} | ({"time": at} if at else {})
        response = tls.get(f"{self.url}/api/v1/query", params=params, timeout=10)
        response.raise_for_status()
        return list(response.json()["data"]["result"])

    def scraping(self, job: str = "backend", timeout: float = 30.0) -> bool:
        """True once the ``job`` target (backend or worker) answers its scrapes (``up == 1``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(float(s["value"][1]) == 1 for s in self.query(f'up{{job="{job}"}}')):
                return True
            time.sleep(0.5)
        return False

    def rule_names(self) -> set[str]:
        response = tls.get(f"{self.url}/api/v1/rules", params={"type": "alert"}, timeout=10)
        response.raise_for_status()
        return {rule["name"] for group in response.json()["data"]["groups"] for rule in group["rules"]}
