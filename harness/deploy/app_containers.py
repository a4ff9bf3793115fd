"""Steps 3 and 5 when the provider runs the app (``--option app=true`` under compose): the backend and frontend as
containers of the stack, built from the project's Dockerfile, with the environment the native deployment computes,
moved to the addresses the containers reach (``AppHost.inside``).

Each container's output is followed into the run's logs (``docker logs --follow``, a process that ends when the
container ends), so the 5xx request-id quoting and the fail-fast watch read it as they read a local backend's log.
The backend is reached through the ingress (harness.deploy.ingress) on 127.0.0.1, which tells it the caller's
address; it trusts X-Forwarded-For only from the gateway, where the ingress's requests come from.
"""

from __future__ import annotations

import os

from harness.app import BACKEND_READY_TIMEOUT, backend_env, log_path
from harness.compose_cli import PORT_VARIABLES
from harness.deploy.app_host import AppHost
from harness.deploy.context import Context, StepFailed
from harness.ports import LOCALHOST, free_port
from harness.process import ManagedProcess, ProcessRecord, ServiceStartError
from harness.pythonenv import python_env
from harness.readiness import HttpStatus, Probe
from harness.services.launch import python_module_argv

BACKEND_TARGET = PORT_VARIABLES["BACKEND_PORT"][1]
FRONTEND_TARGET = PORT_VARIABLES["FRONTEND_PORT"][1]


def start_backend(ctx: Context, host: AppHost) -> tuple[dict[str, ProcessRecord], str]:
    """The backend container and its ingress; returns their records (the container's log follower as "backend")
    and the backend's public URL, ready when /readyz is."""
    port = free_port()
    token = ctx.vault.backend_token(policy_name=f"{ctx.project.slug}-backend")
    database_url = ctx.vault.read()["database_url"]
    env = host.inside(backend_env(ctx, port=port, database_url=database_url, vault_token=token))
    env["TRUSTED_PROXIES"] = host.gateway
    container = host.run("backend", env)
    url = f"http://{LOCALHOST}:{port}"
    upstream = f"http://{host.address(container)}:{BACKEND_TARGET}"
    ingress = ManagedProcess(
        "backend-ingress",
        python_module_argv("harness.deploy.ingress", "--port", str(port), "--upstream", upstream),
        log_path=log_path(ctx.run_dir, "backend-ingress"),
        env=python_env(dict(os.environ)),
        probes=[HttpStatus(f"{url}/healthz", statuses=(200, 502))],  # 502 while the backend starts
    )
    records = {"backend-ingress": _start(ingress, 30)}
    records["backend"] = _follow(ctx, host, container, "backend", HttpStatus(f"{url}/readyz"), (database_url, token))
    return records, url


def start_frontend(ctx: Context, host: AppHost, url: str, auth_base_url: str) -> ProcessRecord:
    """The frontend container published on 127.0.0.1 at ``url``'s port; ready when it serves its page."""
    port = ctx.deployment.frontend_port
    container = host.run("frontend", {"AUTH_BASE_URL": auth_base_url}, publish=f"{LOCALHOST}:{port}:{FRONTEND_TARGET}")
    return _follow(ctx, host, container, "frontend", HttpStatus(f"{url}/"), ())


def _follow(
    ctx: Context, host: AppHost, container: str, name: str, ready: Probe, secrets: tuple[str, ...]
) -> ProcessRecord:
    """Follow the container's output into ``logs/<name>.log`` until ``ready``; the follower's record stands for
    the container (it ends when the container does)."""
    log = log_path(ctx.run_dir, name)
    follower = ManagedProcess(name, host.follow_logs(container), log_path=log, probes=[ready], secrets=secrets)
    return _start(follower, BACKEND_READY_TIMEOUT)


def _start(process: ManagedProcess, timeout: float) -> ProcessRecord:
    try:
        return process.start(timeout=timeout)
    except ServiceStartError as exc:
        raise StepFailed(str(exc)) from exc
