"""DNS stand-in for SSO domain proofs: TXT records over UDP, published over HTTP (harness.services.dns.fake)

Not one of the stack's services: no provider runs it, so the harness starts it as a sidecar beside every stack
(see ``Provider.sidecars``).."""

from __future__ import annotations

import os
from importlib.metadata import version

from harness.endpoints import ServiceInfo
from harness.ports import free_port
from harness.pythonenv import python_env
from harness.readiness import HttpStatus
from harness.services import Service
from harness.services.launch import LOCALHOST, Launch, RunContext, python_module_argv

NAME = "dns"


def plan(ctx: RunContext) -> Launch:
    """Launch the DNS stand-in: UDP DNS and its HTTP control API on the same free port number."""
    port = free_port()
    url = f"http://{LOCALHOST}:{port}"
    return Launch(
        name=NAME,
        argv=python_module_argv("harness.services.dns.fake", "--port", str(port)),
        probes=[HttpStatus(f"{url}/_harness/txt")],
        info=ServiceInfo(NAME, "harness TXT stand-in", version("starlette"), "native", True),
        endpoints={"dns_url": url},
        env=python_env(dict(os.environ)),
        cwd=ctx.service_dir(NAME),
    )


SERVICE = Service(name=NAME, plan=plan, external={}, external_label="")
