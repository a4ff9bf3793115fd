"""Services the harness runs beside a container stack, because the stack has no equivalent it can rehearse with.

- The OIDC identity provider: the compose stack has none; every provider's SSO checks use the harness's test IdP.
- Stripe: stripe-mock is stateless (every customer gets the same fixture id, nothing is stored), so billing state
  cannot be rehearsed against it; the harness's stateful stand-in serves the backend instead, unless the provider
  option ``stripe=stack`` keeps the stack's stripe-mock.

They are native processes on 127.0.0.1 (the harness deploys the backend as a local process too), started and
stopped with the native provider's machinery and reported as sidecars.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.console import Progress, silent
from harness.native.orchestrate import Registry, remove_paths, start_all, stop_all
from harness.process import ProcessRecord
from harness.providers.base import StackHandle
from harness.services import Service, oidc, stripe
from harness.services.launch import RunContext

CONTAINER_PROVIDERS = ("compose", "testcontainers")


def needed(handle: StackHandle, options: dict[str, Any]) -> list[Service]:
    """Sidecar services this stack lacks: a test IdP without an issuer, the Stripe fake for containers."""
    services: list[Service] = []
    if not handle.endpoints.oidc_issuer:
        services.append(oidc.SERVICE)
    if handle.provider in CONTAINER_PROVIDERS and str(options.get("stripe", "fake")) != "stack":
        services.append(stripe.SERVICE)
    return services


def start(handle: StackHandle, options: dict[str, Any], progress: Progress = silent) -> StackHandle:
    """Start the sidecars ``handle`` needs and return it with their endpoints and processes recorded."""
    services = needed(handle, options)
    if not services:
        return handle
    registry = Registry()
    started = start_all(RunContext(run_dir=handle.run_dir / "sidecars"), registry, progress, services=services)
    fields: dict[str, Any] = {}
    for service in started:
        fields.update(service.launch.endpoints)
    names = {service.launch.name for service in started}
    kept = tuple(info for info in handle.endpoints.services if info.name not in names)
    added = tuple(replace(s.launch.info, mode=f"{s.launch.info.mode} sidecar") for s in started)
    endpoints = replace(handle.endpoints, services=kept + added, **fields)
    sidecars = {"processes": [r.to_dict() for r in registry.records], "cleanup": registry.cleanup}
    return replace(handle, endpoints=endpoints, state={**handle.state, "sidecars": sidecars})


def stop(handle: StackHandle) -> None:
    """Stop the sidecar processes and remove their files."""
    sidecars = handle.state.get("sidecars") or {}
    stop_all([ProcessRecord.from_dict(r) for r in sidecars.get("processes", [])])
    remove_paths(sidecars.get("cleanup", []))
