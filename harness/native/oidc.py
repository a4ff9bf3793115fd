"""OIDC identity provider: kernia-test-utils' MockIdP over HTTP (harness.fakes.oidc_server)."""

from __future__ import annotations

import os
from importlib.metadata import version

from harness.endpoints import ServiceInfo
from harness.native.service import LOCALHOST, Launch, RunContext, python_module_argv
from harness.ports import free_port
from harness.pythonenv import python_env
from harness.readiness import HttpStatus

NAME = "oidc"


def plan(ctx: RunContext) -> Launch:
    """Launch the test OIDC identity provider (MockIdP over HTTP) on a free port."""
    port = free_port()
    issuer = f"http://{LOCALHOST}:{port}"
    return Launch(
        name=NAME,
        argv=python_module_argv("harness.fakes.oidc_server", "--port", str(port)),
        probes=[HttpStatus(f"{issuer}/.well-known/openid-configuration")],
        info=ServiceInfo(NAME, "kernia-test-utils MockIdP", version("kernia-test-utils"), "native", True),
        endpoints={"oidc_issuer": issuer},
        env=python_env(dict(os.environ)),
        cwd=ctx.service_dir(NAME),
    )
