"""Endpoints of services someone else runs: a CI job's service containers or a staging environment."""

from __future__ import annotations

import os
from pathlib import Path

from harness.endpoints import Endpoints, ServiceInfo
from harness.providers.base import Progress, Provider, ProviderError, StackHandle, silent

# Endpoints field -> environment variable that supplies it.
ENV_VARS: dict[str, str] = {
    "database_url": "HARNESS_DATABASE_URL",
    "redis_url": "HARNESS_REDIS_URL",
    "smtp_host": "HARNESS_SMTP_HOST",
    "smtp_port": "HARNESS_SMTP_PORT",
    "mailpit_api_url": "HARNESS_MAILPIT_API_URL",
    "aws_endpoint_url": "HARNESS_AWS_ENDPOINT_URL",
    "stripe_api_base": "HARNESS_STRIPE_API_BASE",
    "vault_addr": "HARNESS_VAULT_ADDR",
    "vault_token": "HARNESS_VAULT_TOKEN",
    "oidc_issuer": "HARNESS_OIDC_ISSUER",
}


class ExternalProvider(Provider):
    """Starts nothing and stops nothing: it only reads where the services already are."""

    name = "external"

    def up(self, run_dir: Path, progress: Progress = silent) -> StackHandle:
        """Read the services' addresses from HARNESS_* environment variables; starts nothing."""
        endpoints = endpoints_from_env(os.environ)
        for service in endpoints.services:
            progress(f"{service.name}: using {service.implementation}")
        return StackHandle(provider=self.name, endpoints=endpoints, run_dir=run_dir)

    def down(self, handle: StackHandle, *, keep_data: bool = False) -> None:
        """Nothing to stop: the services belong to someone else."""


# Without an IdP of its own, the harness runs its test IdP beside the stack (see harness.sidecars).
OPTIONAL = {"HARNESS_OIDC_ISSUER"}


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
    try:
        values["smtp_port"] = int(env["HARNESS_SMTP_PORT"])
    except ValueError:
        raise ProviderError(f"HARNESS_SMTP_PORT must be a port number, got {env['HARNESS_SMTP_PORT']!r}") from None
    services = tuple(
        ServiceInfo(name=name, implementation=f"external ({env[var].split('@')[-1]})", version="-", mode="external")
        for name, var in (
            ("postgres", "HARNESS_DATABASE_URL"),
            ("redis", "HARNESS_REDIS_URL"),
            ("mail", "HARNESS_MAILPIT_API_URL"),
            ("aws", "HARNESS_AWS_ENDPOINT_URL"),
            ("stripe", "HARNESS_STRIPE_API_BASE"),
            ("vault", "HARNESS_VAULT_ADDR"),
            ("oidc", "HARNESS_OIDC_ISSUER"),
        )
        if env.get(var)
    )
    return Endpoints(provider="external", services=services, **values)  # type: ignore[arg-type]
