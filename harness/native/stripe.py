"""Stripe: ``stripe-mock`` on PATH, else kernia-test-utils' MockStripe over HTTP (harness.fakes.stripe_server)."""

from __future__ import annotations

import os
import shutil
from importlib.metadata import version

from harness.endpoints import ServiceInfo
from harness.native.service import LOCALHOST, Launch, RunContext, python_module_argv
from harness.ports import free_port
from harness.pythonenv import python_env
from harness.readiness import HttpStatus, TcpOpen

NAME = "stripe"


def plan(ctx: RunContext) -> Launch:
    """stripe-mock when installed, else the stateful MockStripe server."""
    port = free_port()
    base = f"http://{LOCALHOST}:{port}"
    stripe_mock = shutil.which("stripe-mock")
    if stripe_mock:  # stateless fixtures; no health endpoint, so an open port is the readiness signal
        argv = [stripe_mock, "-http-addr", f"{LOCALHOST}:{port}"]
        probes = [TcpOpen(port)]
        info = ServiceInfo(NAME, "stripe-mock", "unknown", "native")
        env = None
    else:
        argv = python_module_argv("harness.fakes.stripe_server", "--port", str(port))
        probes = [HttpStatus(f"{base}/_harness/events")]
        info = ServiceInfo(NAME, "kernia-test-utils MockStripe", version("kernia-test-utils"), "native", True)
        env = python_env(dict(os.environ))
    return Launch(
        name=NAME,
        argv=argv,
        probes=probes,
        info=info,
        endpoints={"stripe_api_base": base},
        env=env,
        cwd=ctx.service_dir(NAME),
    )
