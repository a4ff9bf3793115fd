"""Step 5: serve the project's frontend configured with the same auth base URL, and check what it serves."""

from __future__ import annotations

import contextlib
import os
import socket

import httpx

from harness.app import log_path
from harness.deploy import app_containers
from harness.deploy.context import Context, StepFailed
from harness.ports import LOCALHOST
from harness.process import ManagedProcess, ProcessRecord, ServiceStartError
from harness.pythonenv import python_env
from harness.readiness import HttpStatus


def _check_served(frontend_url: str, auth_base_url: str) -> list[str]:
    problems = []
    page = httpx.get(f"{frontend_url}/", timeout=10)
    if page.status_code != 200 or "<html" not in page.text.lower():
        problems.append(f"GET / answered {page.status_code} without an HTML page")
    config = httpx.get(f"{frontend_url}/config.js", timeout=10)
    if auth_base_url not in config.text:
        problems.append(f"/config.js does not carry the auth base URL {auth_base_url}")
    preflight = httpx.options(
        f"{auth_base_url}/get-session",
        headers={"Origin": frontend_url, "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    allowed = preflight.headers.get("access-control-allow-origin")
    credentials = preflight.headers.get("access-control-allow-credentials")
    if allowed != frontend_url or credentials != "true":
        problems.append(
            f"backend CORS does not admit the frontend origin with credentials "
            f"(allow-origin={allowed!r}, allow-credentials={credentials!r})"
        )
    foreign = httpx.options(
        f"{auth_base_url}/get-session",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    if foreign.headers.get("access-control-allow-origin") in ("*", "https://evil.example"):
        problems.append("backend CORS admits an unrelated origin")
    return problems


def run(ctx: Context) -> str:
    """Step 5: start the frontend on the port step 3 chose, then check its page, config and CORS."""
    deployed = ctx.deployment.deployed()  # NotDeployed when step 3 did not run: the step order is wrong
    url, auth_base = deployed.frontend_url, deployed.auth_base_url
    if ctx.app_host is None:
        record = _start_process(ctx, url, auth_base)
        how = f"uvicorn pid {record.pid}"
    else:
        record, how = app_containers.start_frontend(ctx, ctx.app_host, url, auth_base), "container"
    ctx.deployment.processes = {**(ctx.deployment.processes or {}), "frontend": record.to_dict()}
    problems = _check_served(url, auth_base)
    if problems:
        raise StepFailed("; ".join(problems))
    return f"{how} at {url}; serves the page, /config.js with {auth_base}; CORS admits it"


def _listening(port: int) -> bool:
    """Whether a process accepts connections on ``port`` (a bind test would also fail on the TIME_WAIT
    connections an earlier frontend left, which uvicorn's own bind tolerates)."""
    with contextlib.suppress(OSError), socket.create_connection((LOCALHOST, port), timeout=2):
        return True
    return False


def _start_process(ctx: Context, url: str, auth_base: str) -> ProcessRecord:
    """The frontend as a local uvicorn process on the port step 3 chose; refused when another process holds that
    port (the new frontend would exit while the other answered its readiness probe and content checks)."""
    port = ctx.deployment.frontend_port
    if port is None or _listening(port):
        raise StepFailed(
            f"the frontend's port {LOCALHOST}:{port} is held by another process (find it with `ss -ltnp "
            f"'sport = :{port}'`): stop it, or run `harness down` and `harness up` for new ports, then deploy again"
        )
    argv = [ctx.python, "-m", "uvicorn", "app:app", "--app-dir", str(ctx.project.root / "frontend")]
    argv += ["--host", LOCALHOST, "--port", str(port), "--no-access-log"]
    process = ManagedProcess(
        "frontend",
        argv,
        log_path=log_path(ctx.run_dir, "frontend"),
        env=python_env({**os.environ, "AUTH_BASE_URL": auth_base}),
        cwd=ctx.project.root,
        probes=[HttpStatus(f"{url}/")],
    )
    try:
        return process.start(timeout=30)
    except ServiceStartError as exc:
        raise StepFailed(str(exc)) from exc
