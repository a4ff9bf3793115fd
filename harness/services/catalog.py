"""The services of the stack, in report order; the providers loop over this tuple."""

from __future__ import annotations

from harness.services import Service, aws, mail, oidc, postgres, redis, stripe, vault

SERVICES: tuple[Service, ...] = (
    postgres.SERVICE,
    redis.SERVICE,
    mail.SERVICE,
    aws.SERVICE,
    stripe.SERVICE,
    vault.SERVICE,
    oidc.SERVICE,
)
# The services that also run as containers (compose, testcontainers), by compose.yaml service name.
CONTAINER_SERVICES: tuple[Service, ...] = tuple(service for service in SERVICES if service.compose_name)
CONTAINER_NAMES = tuple(str(service.compose_name) for service in CONTAINER_SERVICES)


def report_name(compose_name: str) -> str:
    """The report's name for a compose.yaml service: the catalog's name, or the compose name for the app's own."""
    return next((s.name for s in CONTAINER_SERVICES if s.compose_name == compose_name), compose_name)
