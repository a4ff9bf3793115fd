"""DNS stand-in for SSO domain proofs: TXT records over UDP, published over HTTP (harness.fakes.dns_server)."""

from __future__ import annotations

import os
from importlib.metadata import version

from harness.endpoints import ServiceInfo
from harness.native.service import LOCALHOST, Launch, RunContext, python_module_argv
from harness.ports import free_port
from harness.pythonenv import python_env
from harness.readiness import HttpStatus

NAME = "dns"


def plan(ctx: RunContext) -> Launch:
    """Launch the DNS stand-in: UDP DNS and its HTTP control API on the same free port number."""
    port = free_port()
    url = f"http://{LOCALHOST}:{port}"
    return Launch(
        name=NAME,
        argv=python_module_argv("harness.fakes.dns_server", "--port", str(port)),
        probes=[HttpStatus(f"{url}/_harness/txt")],
        info=ServiceInfo(NAME, "harness TXT stand-in", version("starlette"), "native", True),
        endpoints={"dns_url": url},
        env=python_env(dict(os.environ)),
        cwd=ctx.service_dir(NAME),
    )
