"""OIDC identity provider: kernia-test-utils' MockIdP over HTTP (harness.services.oidc.fake)."""

from __future__ import annotations

import os
from importlib.metadata import version

from harness.endpoints import ServiceInfo
from harness.ports import free_port
from harness.pythonenv import python_env
from harness.readiness import HttpStatus
from harness.services import Service
from harness.services.launch import LOCALHOST, Launch, RunContext, python_module_argv

NAME = "oidc"


def plan(ctx: RunContext) -> Launch:
    """Launch the test OIDC identity provider (MockIdP over HTTP) on a free port."""
    port = free_port()
    issuer = f"http://{LOCALHOST}:{port}"
    return Launch(
        name=NAME,
        argv=python_module_argv("harness.services.oidc.fake", "--port", str(port)),
        probes=[HttpStatus(f"{issuer}/.well-known/openid-configuration")],
        info=ServiceInfo(NAME, "kernia-test-utils MockIdP", version("kernia-test-utils"), "native", True),
        endpoints={"oidc_issuer": issuer},
        env=python_env(dict(os.environ)),
        cwd=ctx.service_dir(NAME),
    )


# No container: every provider's SSO checks use this IdP, run beside container stacks as a sidecar.
SERVICE = Service(
    name=NAME,
    plan=plan,
    external={"oidc_issuer": "HARNESS_OIDC_ISSUER"},
    external_label="HARNESS_OIDC_ISSUER",
    external_optional=True,  # without one, the harness runs this IdP beside the stack (harness.sidecars)
)
