"""Services the harness runs beside a stack, because the stack has no equivalent it can rehearse with.

- The OIDC identity provider: the compose stack has none; every provider's SSO checks use the harness's test IdP.
- The DNS stand-in: SSO domains are proven by a TXT record the backend looks up at SSO_DNS_RESOLVER.
- Stripe: stripe-mock is stateless (every customer gets the same fixture id, nothing is stored), so billing state
  cannot be rehearsed against it; the harness's stateful stand-in serves the backend instead, unless the provider
  option ``stripe=stack`` keeps the stack's stripe-mock.

They are native processes on 127.0.0.1 (the harness deploys the backend as a local process too), or on the
container network's gateway when the app runs in the stack's containers (``Provider.sidecar_host``: the
containers reach the host there, and the harness does too), started and stopped with the native provider's
machinery and reported as sidecars.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.console import Progress, silent
from harness.native.orchestrate import NativeGroup
from harness.providers import provider_class
from harness.providers.base import StackHandle
from harness.services import Service
from harness.services.launch import RunContext


def needed(handle: StackHandle, options: dict[str, Any]) -> list[Service]:
    """Sidecar services this stack lacks, as its provider says (the DNS stand-in always, a test IdP without an
    issuer, the Stripe fake for container stacks)."""
    return provider_class(handle.provider).sidecars(handle, options)


def start(handle: StackHandle, options: dict[str, Any], progress: Progress = silent) -> StackHandle:
    """Start the sidecars ``handle`` needs and return it with their endpoints and processes recorded."""
    services = needed(handle, options)
    if not services:
        return handle
    bind_host = provider_class(handle.provider).sidecar_host(handle)
    context = RunContext(run_dir=handle.run_dir / "sidecars", options={"bind_host": bind_host})
    group = NativeGroup().start(context, progress, services)
    names = {service.launch.name for service in group.started}
    kept = tuple(info for info in handle.endpoints.services if info.name not in names)
    added = tuple(replace(info, mode=f"{info.mode} sidecar") for info in group.infos())
    endpoints = replace(handle.endpoints, services=kept + added, **group.endpoint_fields())
    return replace(handle, endpoints=endpoints, state={**handle.state, "sidecars": group.record()})


def stop(handle: StackHandle) -> None:
    """Stop the sidecar processes and remove their files."""
    NativeGroup.stop(handle.state.get("sidecars") or {})
