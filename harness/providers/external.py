"""Endpoints of services someone else runs: a CI job's service containers or a staging environment."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path

from harness.endpoints import Endpoints, ServiceInfo
from harness.providers.base import Progress, Provider, ProviderError, StackHandle, silent
from harness.services.catalog import SERVICES

# Endpoints field -> environment variable that supplies it, from the catalog.
ENV_VARS: dict[str, str] = {field: var for service in SERVICES for field, var in service.external.items()}


class ExternalProvider(Provider):
    """Starts nothing and stops nothing: it only reads where the services already are."""

    name = "external"

    def up(self, run_dir: Path, progress: Progress = silent) -> StackHandle:
        """Read the services' addresses from HARNESS_* environment variables; starts nothing."""
        self.typed_options()  # it has none: an option given is a mistake worth naming
        endpoints = endpoints_from_env(os.environ)
        for service in endpoints.services:
            progress(f"{service.name}: using {service.implementation}")
        return StackHandle(provider=self.name, endpoints=endpoints, run_dir=run_dir)

    def down(self, handle: StackHandle, *, keep_data: bool = False) -> None:
        """Nothing to stop: the services belong to someone else."""


# Without an IdP of its own, the harness runs its test IdP beside the stack (see harness.sidecars).
OPTIONAL = {var for service in SERVICES if service.external_optional for var in service.external.values()}
_INT_FIELDS = {f.name for f in fields(Endpoints) if f.type == "int"}


def endpoints_from_env(env: os._Environ[str] | dict[str, str]) -> Endpoints:
    """Endpoints from the HARNESS_* variables; every one but the OIDC issuer is required."""
    missing = [var for var in ENV_VARS.values() if not env.get(var) and var not in OPTIONAL]
    if missing:
        raise ProviderError(
            "the external provider needs these environment variables: "
            + ", ".join(missing)
            + " (see README, 'Providers')"
        )
    values: dict[str, object] = {field: env.get(var, "") for field, var in ENV_VARS.items()}
    for field in _INT_FIELDS & set(ENV_VARS):
        var = ENV_VARS[field]
        try:
            values[field] = int(env[var])
        except ValueError:
            raise ProviderError(f"{var} must be a port number, got {env[var]!r}") from None
    services = tuple(
        ServiceInfo(
            name=service.name,
            implementation=f"external ({env[service.external_label].split('@')[-1]})",
            version="-",
            mode="external",
        )
        for service in SERVICES
        if env.get(service.external_label)
    )
    return Endpoints(provider="external", services=services, **values)  # type: ignore[arg-type]
