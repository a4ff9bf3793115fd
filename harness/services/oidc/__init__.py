"""OIDC identity provider: kernia-test-utils' MockIdP over HTTP (harness.services.oidc.fake)."""

from __future__ import annotations

from importlib.metadata import version

from harness.endpoints import ServiceInfo
from harness.services import Service
from harness.services.launch import Launch, RunContext, harness_server

NAME = "oidc"


def plan(ctx: RunContext) -> Launch:
    """Launch the test OIDC identity provider (MockIdP over HTTP) on a free port."""
    info = ServiceInfo(NAME, "kernia-test-utils MockIdP", version("kernia-test-utils"), "native", True)
    return harness_server(
        ctx,
        name=NAME,
        module="harness.services.oidc.fake",
        probe_path="/.well-known/openid-configuration",
        info=info,
        endpoint="oidc_issuer",
    )


# No container: every provider's SSO checks use this IdP, run beside container stacks as a sidecar.
SERVICE = Service(
    name=NAME,
    plan=plan,
    external={"oidc_issuer": "HARNESS_OIDC_ISSUER"},
    external_label="HARNESS_OIDC_ISSUER",
    external_optional=True,  # without one, the harness runs this IdP beside the stack (harness.sidecars)
)
