"""Mail: ``mailpit`` on PATH (SMTP and HTTP on 127.0.0.1, any SMTP login accepted), else the harness's
aiosmtpd sink with the Mailpit API subset (harness.fakes.mailsink)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from importlib.metadata import version

from harness.endpoints import ServiceInfo
from harness.native.service import LOCALHOST, Launch, RunContext, python_module_argv
from harness.ports import free_port
from harness.pythonenv import python_env
from harness.readiness import HttpStatus, TcpOpen

NAME = "mail"


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
            "--database",
            str(home / "mailpit.db"),
        ]
        out = subprocess.run([mailpit, "version"], capture_output=True, text=True, check=False).stdout
        match = re.search(r"v(\d+\.\d+\.\d+)", out)
        info = ServiceInfo(NAME, "Mailpit", match.group(1) if match else "unknown", "native")
        env = None
    else:
        argv = python_module_argv(
            "harness.fakes.mailsink", "--smtp-port", str(smtp_port), "--http-port", str(http_port)
        )
        info = ServiceInfo(NAME, "aiosmtpd mail sink (Mailpit API)", version("aiosmtpd"), "native", True)
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
