"""OIDC identity provider: kernia-test-utils' MockIdP over HTTP (harness.services.oidc.fake)."""

from __future__ import annotations

import httpx

from harness.endpoints import Endpoints, ServiceInfo
from harness.services import STAND_IN_VERSION_HEADER, Service, mocks_version
from harness.services.launch import UNKNOWN, Launch, RunContext, harness_server

NAME = "oidc"


def plan(ctx: RunContext) -> Launch:
    """Launch the test OIDC identity provider (MockIdP over HTTP) on a free port."""
    info = ServiceInfo(NAME, "kernia-test-utils MockIdP", mocks_version(), "native", True)
    return harness_server(
        ctx,
        name=NAME,
        module="harness.services.oidc.fake",
        probe_path="/.well-known/openid-configuration",
        info=info,
        endpoint="oidc_issuer",
    )


def running_version(endpoints: Endpoints) -> str:
    """The version the IdP's discovery answer names (the stand-in's header; an external IdP may not say)."""
    response = httpx.get(f"{endpoints.oidc_issuer}/.well-known/openid-configuration", timeout=5.0)
    return response.headers.get(STAND_IN_VERSION_HEADER) or UNKNOWN


# No container: every provider's SSO checks use this IdP, run beside container stacks as a sidecar.
SERVICE = Service(
    name=NAME,
    plan=plan,
    external={"oidc_issuer": "HARNESS_OIDC_ISSUER"},
    external_label="HARNESS_OIDC_ISSUER",
    external_optional=True,  # without one, the harness runs this IdP beside the stack (harness.sidecars)
    version=running_version,
)
