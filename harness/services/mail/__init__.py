"""Mail: ``mailpit`` on PATH (SMTP and HTTP on 127.0.0.1, any SMTP login accepted, chaos API on for delivery-failure
drills, as compose's MP_ENABLE_CHAOS), else the harness's aiosmtpd sink with the Mailpit API subset
(harness.services.mail.sink)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from typing import Any

import httpx

from harness import __version__
from harness.endpoints import Endpoints, ServiceInfo
from harness.ports import free_port
from harness.pythonenv import python_env
from harness.readiness import HttpStatus, TcpOpen
from harness.services import ContainerRun, Credentials, HttpWait, Port, Service, image_of
from harness.services.launch import LOCALHOST, UNKNOWN, Launch, RunContext, binary_version, python_module_argv

NAME = "mail"
SMTP_PORT = 1025  # Mailpit's ports inside its container
API_PORT = 8025


def plan(ctx: RunContext) -> Launch:
    """Mailpit when installed, else the aiosmtpd sink that serves Mailpit's API."""
    home = ctx.service_dir(NAME)
    smtp_port, http_port = free_port(), free_port()
    api = f"http://{LOCALHOST}:{http_port}"
    mailpit = shutil.which("mailpit")
    if mailpit:
        argv = [
            mailpit,
            "--smtp",
            f"{LOCALHOST}:{smtp_port}",
            "--listen",
            f"{LOCALHOST}:{http_port}",
            "--smtp-auth-accept-any",
            "--smtp-auth-allow-insecure",
            "--enable-chaos",
            "--database",
            str(home / "mailpit.db"),
        ]
        info = ServiceInfo(NAME, "Mailpit", binary_version([mailpit, "version"], r"v(\d+\.\d+\.\d+)"), "native")
        env = None
    else:
        argv = python_module_argv(
            "harness.services.mail.sink", "--smtp-port", str(smtp_port), "--http-port", str(http_port), "--enable-chaos"
        )
        info = ServiceInfo(NAME, "kernia-harness mail sink (aiosmtpd, Mailpit API)", __version__, "native", True)
        env = python_env(dict(os.environ))
    return Launch(
        name=NAME,
        argv=argv,
        probes=[HttpStatus(f"{api}/readyz"), TcpOpen(smtp_port)],
        info=info,
        endpoints={"smtp_host": LOCALHOST, "smtp_port": smtp_port, "mailpit_api_url": api},
        env=env,
        cwd=home,
    )


def running_version(endpoints: Endpoints) -> str:
    """The Version of Mailpit's /api/v1/info ("v1.21.8"; the harness's sink answers with its own)."""
    info = httpx.get(f"{endpoints.mailpit_api_url}/api/v1/info", timeout=5.0).raise_for_status().json()
    return str(info.get("Version") or UNKNOWN).removeprefix("v")


def endpoints(host: str, port: Mapping[int, int], env: Mapping[str, str]) -> dict[str, Any]:
    return {"smtp_host": host, "smtp_port": port[SMTP_PORT], "mailpit_api_url": f"http://{host}:{port[API_PORT]}"}


def container(compose: Mapping[str, Any], credentials: Credentials) -> ContainerRun:
    """Mailpit configured like its compose service, minus the on-disk database."""
    env = {key: str(value) for key, value in compose.get("environment", {}).items()}
    env.pop("MP_DATABASE", None)  # no volume here: keep messages in memory
    return ContainerRun(image_of(compose), env, HttpWait(API_PORT, "/readyz"))


SERVICE = Service(
    name=NAME,
    plan=plan,
    external={
        "smtp_host": "HARNESS_SMTP_HOST",
        "smtp_port": "HARNESS_SMTP_PORT",
        "mailpit_api_url": "HARNESS_MAILPIT_API_URL",
    },
    external_label="HARNESS_MAILPIT_API_URL",
    compose_name="mailpit",
    ports=(Port(SMTP_PORT, "MAILPIT_SMTP_PORT"), Port(API_PORT, "MAILPIT_UI_PORT")),
    endpoints=endpoints,
    container=container,
    version=running_version,
)
