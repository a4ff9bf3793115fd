"""The rendered project's backend as a library: its environment, starting a backend process, and its manage commands.

The deployment step (harness.deploy.backend), the drills and the checks all start backends and run manage
commands through here; none of them imports a deployment step for it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from harness.commands import run_command
from harness.deploy.context import Context, StepFailed
from harness.ports import LOCALHOST, free_port
from harness.process import ManagedProcess, ProcessRecord, ServiceStartError
from harness.pythonenv import python_env
from harness.readiness import HttpStatus, Probe
from harness.services import aws

BACKEND_READY_TIMEOUT = 60.0
# A record's first line: main.py's format starts with the asctime, uvicorn's own lines with "LEVEL:".
LOG_RECORD = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d|[A-Z]+:\s")
REQUEST_LOG_LINES = 40


def logs_dir(run_dir: Path) -> Path:
    """Where every process of the app the harness starts writes its log (``<name>.log``)."""
    return Path(run_dir) / "logs"


def log_path(run_dir: Path, name: str) -> Path:
    """The log of the app's process ``name`` (backend, worker, frontend)."""
    return logs_dir(run_dir) / f"{name}.log"


def request_log(run_dir: Path, request_id: str) -> str:
    """The backends' log records that name ``request_id``, each with its continuation lines (a traceback)."""
    found: list[str] = []
    for log in sorted(logs_dir(run_dir).glob("*.log")):
        taking = False
        for line in log.read_text(errors="replace").splitlines():
            if LOG_RECORD.match(line):
                taking = request_id in line
            if taking:
                found.append(f"{log.name}: {line}")
    return "\n".join(found[-REQUEST_LOG_LINES:])


def backend_env(ctx: Context, *, port: int, database_url: str, vault_token: str) -> dict[str, str]:
    """The backend's environment: addresses and the Vault location. Secret values stay in Vault, except the two the
    backend needs to reach it and its database: its own Vault token and the app role's database URL."""
    endpoints = ctx.endpoints
    auth_base = f"http://{LOCALHOST}:{port}{ctx.project.auth_path}"
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": endpoints.redis_url,
        "KERNIA_BASE_URL": auth_base,
        "FRONTEND_URL": ctx.deployment.frontend_url,  # step 3 records it before it starts the backend
        "TRUSTED_PROXIES": "",
        "SMTP_HOST": endpoints.smtp_host,
        "SMTP_PORT": str(endpoints.smtp_port),
        "SMTP_FROM": f"{ctx.project.slug} <no-reply@example.com>",
        "STRIPE_API_BASE": endpoints.stripe_api_base,
        **aws.backend_env(endpoints.aws_endpoint_url),
        "VAULT_ADDR": endpoints.vault_addr,
        "VAULT_TOKEN": vault_token,
        "VAULT_SECRET_PATH": ctx.vault.path,
        # Rehearsal setting: refresh sessions older than one second so "refresh moves the expiry" is observable.
        "SESSION_UPDATE_AGE": "1",
        # SSO: the test IdP is the only issuer the backend may fetch from (F17); domain proofs are looked up at
        # the stack's DNS stand-in (F09; endpoints.dns_url serves DNS on UDP at the same host:port).
        "SSO_ALLOWED_ISSUERS": endpoints.oidc_issuer,
        "SSO_DNS_RESOLVER": urlsplit(endpoints.dns_url).netloc,
        "LOG_LEVEL": "INFO",
        **(ctx.deployment.optional_env or {}),  # queue and bucket addresses (harness.deploy.aws_resources)
    }
    return env


def start_backend(
    ctx: Context,
    *,
    name: str = "backend",
    database_url: str | None = None,
    app: str | None = None,
    factory: bool = False,
    extra_env: dict[str, str] | None = None,
) -> tuple[ProcessRecord, str]:
    """Start one backend process; returns its record and its base URL. Used for the deployment and the drills."""
    port = free_port()
    argv = [ctx.python, "-m", "uvicorn", app or f"{ctx.project.slug}.main:app"]
    argv += ["--factory"] if factory else []
    argv += ["--app-dir", str(ctx.project.source_dir), "--host", LOCALHOST, "--port", str(port), "--no-access-log"]
    # Uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 and defeat the app's trusted-proxy rule.
    argv.append("--no-proxy-headers")
    argv.append("--no-server-header")  # the answer should not name the server software
    url = f"http://{LOCALHOST}:{port}"
    record = start_app_process(
        ctx,
        name,
        argv,
        probes=[HttpStatus(f"{url}/readyz")],
        timeout=BACKEND_READY_TIMEOUT,
        port=port,
        database_url=database_url,
        extra_env=extra_env,
    )
    return record, url


def start_app_process(
    ctx: Context,
    name: str,
    argv: list[str],
    *,
    probes: list[Probe],
    timeout: float,
    port: int = 0,
    database_url: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> ProcessRecord:
    """Start one process of the app (a backend, the queue worker) with the backend's environment: a Vault token of
    its own, the app role's database URL (both masked in any log tail it quotes) and the project's source on
    PYTHONPATH; its log is ``log_path(run_dir, name)``. A failed start is a StepFailed naming the process."""
    token = ctx.vault.backend_token(policy_name=f"{ctx.project.slug}-backend")
    database_url = database_url or ctx.vault.read()["database_url"]
    env = {
        **backend_env(ctx, port=port, database_url=database_url, vault_token=token),
        "PYTHONPATH": source_path(ctx),
        **(extra_env or {}),
    }
    process = ManagedProcess(
        name,
        argv,
        log_path=log_path(ctx.run_dir, name),
        env=python_env({**os.environ, **env}),
        cwd=ctx.project.root,
        probes=probes,
        secrets=[database_url, token],
        owns_ports=port != 0,
    )
    try:
        return process.start(timeout=timeout)
    except ServiceStartError as exc:
        raise StepFailed(str(exc)) from exc


def source_path(ctx: Context) -> str:
    """PYTHONPATH with the project's source first, so ``python -m <slug>.…`` finds the app."""
    return os.pathsep.join(filter(None, [str(ctx.project.source_dir), os.environ.get("PYTHONPATH")]))


def run_manage(ctx: Context, *args: str, database_url: str | None = None) -> str:
    """Run the project's management command (``python -m <slug>.manage ...``) against the deployed database, or
    the one at ``database_url``."""
    database_url = database_url or ctx.vault.read()["database_url"]
    env = backend_env(ctx, port=0, database_url=database_url, vault_token=ctx.endpoints.vault_token)
    env["PYTHONPATH"] = source_path(ctx)
    result = run_command([ctx.python, "-m", f"{ctx.project.slug}.manage", *args], cwd=ctx.project.root, env=env)
    if not result.ok:
        raise StepFailed(f"manage {' '.join(args)} failed: {result.describe_failure()}")
    return result.output
