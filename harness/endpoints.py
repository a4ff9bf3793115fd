"""The one record every provider yields: where each service of the stack answers."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REDACTED = "***"


@dataclass(frozen=True)
class ServiceInfo:
    """Which implementation of a service ran, for the report ("vault: OpenBao 2.7.2, native")."""

    name: str
    implementation: str
    version: str
    mode: str  # native | compose | external | testcontainers
    stand_in: bool = False  # True when a stand-in replaced the real program (e.g. SMTP sink for Mailpit)

    def describe(self) -> str:
        suffix = ", stand-in" if self.stand_in else ""
        return f"{self.name}: {self.implementation} {self.version}, {self.mode}{suffix}"


@dataclass(frozen=True)
class Endpoints:
    """Addresses of a running stack, as seen from the host that runs the harness.

    ``database_url`` is a superuser URL to the server's maintenance database (libpq form,
    ``postgresql://user:password@host:port/postgres``); provisioning creates the application's own
    database and role from it.
    """

    provider: str
    database_url: str
    redis_url: str
    smtp_host: str
    smtp_port: int
    mailpit_api_url: str
    aws_endpoint_url: str
    stripe_api_base: str
    vault_addr: str
    vault_token: str
    oidc_issuer: str
    backend_url: str | None = None
    frontend_url: str | None = None
    dns_url: str = ""  # the DNS stand-in's control API; it answers DNS over UDP at the same host:port
    services: tuple[ServiceInfo, ...] = field(default_factory=tuple)

    def with_deployment(self, *, backend_url: str, frontend_url: str) -> Endpoints:
        return replace(self, backend_url=backend_url, frontend_url=frontend_url)

    def to_dict(self, *, reveal: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not reveal:
            data["database_url"] = redact_url(self.database_url)
            data["redis_url"] = redact_url(self.redis_url)
            data["vault_token"] = REDACTED
        return data

    def to_json(self, *, reveal: bool = False) -> str:
        return json.dumps(self.to_dict(reveal=reveal), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Endpoints:
        services = tuple(ServiceInfo(**s) for s in data.get("services", ()))
        return cls(**{**data, "services": services})


def redact_url(url: str) -> str:
    """Hide the password of a URL (``postgresql://app:***@host/db``) so it can be printed."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:{REDACTED}@{host}{port}"))
