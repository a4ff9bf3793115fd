"""Step 3b (projects with a queue): run the project's queue worker as a deployed process, like the backend.

It reads its secrets from Vault with its own token, polls the queues ``aws_resources`` created and serves its
metrics on a port of its own (recorded as ``worker_metrics_url``) when the project has metrics; ready once
/metrics answers, or, without metrics, once it logs that it polls.
"""

from __future__ import annotations

from pathlib import Path

from harness.app import log_path, start_app_process
from harness.deploy.context import Context
from harness.ports import LOCALHOST, free_port
from harness.process import ProcessRecord
from harness.readiness import Custom, HttpStatus, Probe

READY_TIMEOUT = 60.0


def needed(ctx: Context) -> bool:
    return bool(ctx.project.answers.get("with_queue"))


def run(ctx: Context) -> str:
    """Start ``python -m <slug>.worker`` with the backend's environment; record it with the deployment."""
    record, metrics_url = start(ctx)
    ctx.deployment.processes = {**(ctx.deployment.processes or {}), "worker": record.to_dict()}
    ctx.deployment.worker_metrics_url = metrics_url
    return f"worker pid {record.pid}" + (f"; metrics at {metrics_url}" if metrics_url else "")


def start(ctx: Context, name: str = "worker") -> tuple[ProcessRecord, str | None]:
    """Start a worker process called ``name`` (its log: ``logs/<name>.log``); returns its record and its metrics
    URL (None without metrics)."""
    log = log_path(ctx.run_dir, name)
    probe: Probe = Custom(f"{log} says the worker polls", lambda: "worker polling" in _read(log))
    metrics_url, env = None, {}
    if ctx.project.answers.get("observability", "metrics") != "none":
        port = free_port()
        env = {"WORKER_METRICS_PORT": str(port), "WORKER_METRICS_ADDR": LOCALHOST}
        metrics_url = f"http://{LOCALHOST}:{port}/metrics"
        probe = HttpStatus(metrics_url)
    argv = [ctx.python, "-m", f"{ctx.project.slug}.worker"]
    record = start_app_process(ctx, name, argv, probes=[probe], timeout=READY_TIMEOUT, extra_env=env)
    return record, metrics_url


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""
