"""DNS stand-in for SSO domain proofs: TXT records over UDP, published over HTTP (harness.services.dns.fake)

Not one of the stack's services: no provider runs it, so the harness starts it as a sidecar beside every stack
(see ``Provider.sidecars``)."""

from __future__ import annotations

from importlib.metadata import version

from harness.endpoints import ServiceInfo
from harness.services import Service
from harness.services.launch import Launch, RunContext, harness_server

NAME = "dns"


def plan(ctx: RunContext) -> Launch:
    """Launch the DNS stand-in: UDP DNS and its HTTP control API on the same free port number."""
    info = ServiceInfo(NAME, "harness TXT stand-in", version("starlette"), "native", True)
    return harness_server(
        ctx, name=NAME, module="harness.services.dns.fake", probe_path="/_harness/txt", info=info, endpoint="dns_url"
    )


SERVICE = Service(name=NAME, plan=plan, external={}, external_label="")
