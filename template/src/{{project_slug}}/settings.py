"""Runtime configuration read from the environment (never from files, never secrets by default)."""

from __future__ import annotations

import ipaddress

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .project import AUTH_PATH, DEFAULT_BACKEND_URL, DEFAULT_FRONTEND_URL, SLUG

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def to_async_database_url(url: str) -> str:
    """Accept libpq-style ``postgresql://`` URLs and return the asyncpg SQLAlchemy form."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    """Every knob the backend reads; names are the environment variable names."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    database_url: str = Field(description="SQLAlchemy async URL (postgresql:// is converted)")
    redis_url: str | None = None
    kernia_base_url: str = f"{DEFAULT_BACKEND_URL}{AUTH_PATH}"
    frontend_url: str = DEFAULT_FRONTEND_URL
    trusted_proxies: str = ""
    log_level: str = "INFO"
    session_expires_in: int = Field(default=7 * 24 * 3600, gt=0, description="session lifetime, seconds")
    session_unremembered_expires_in: int = Field(
        default=24 * 3600, gt=0, description='lifetime of a "don\'t remember me" session, seconds'
    )
    session_update_age: int = Field(
        default=24 * 3600, ge=0, description="refresh a session (move its expiry) once this old, seconds"
    )

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = f"no-reply@{SLUG.replace('_', '-')}.invalid"
    smtp_starttls: bool = False

    stripe_api_base: str = "https://api.stripe.com"
    stripe_plans: str = Field(
        default="pro=price_pro_monthly",
        description="billing plans as comma-separated name=price_id pairs (test and live prices differ)",
    )
    aws_endpoint_url: str | None = None
    aws_region: str = "us-east-1"
    audit_export_bucket: str | None = None
    email_queue_url: str | None = Field(
        default=None, description="SQS queue the backend puts every email on (the queue worker sends them)"
    )
    audit_queue_url: str | None = None
    worker_metrics_port: int | None = Field(default=None, description="the queue worker's /metrics port")
    worker_metrics_addr: str = "127.0.0.1"

    vault_addr: str | None = None
    vault_token: SecretStr | None = None
    vault_kv_mount: str = "secret"
    vault_secret_path: str = f"{SLUG}/backend"
    kernia_secret_grace: bool = True

    # Development / unit-test fallbacks, used only when VAULT_ADDR is unset.
    kernia_secret: SecretStr | None = None
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    ops_token: SecretStr | None = None

    sso_allowed_issuers: str = Field(
        default="",
        description="origins (scheme://host[:port], comma-separated) the backend may fetch OIDC discovery, "
        "tokens and keys from; empty: public https hosts only",
    )
    sso_dns_resolver: str = Field(
        default="",
        description="host[:port] of the DNS server SSO domain proofs are looked up at; empty: none verify",
    )

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return to_async_database_url(value)

    @field_validator("kernia_base_url", "frontend_url", "stripe_api_base")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("kernia_base_url")
    @classmethod
    def _includes_mount(cls, value: str) -> str:
        if not value.endswith(AUTH_PATH):
            raise ValueError(f"KERNIA_BASE_URL must end with the auth mount path {AUTH_PATH!r}")
        return value

    @field_validator("stripe_plans")
    @classmethod
    def _valid_plans(cls, value: str) -> str:
        for item in _split(value):
            name, sep, price_id = item.partition("=")
            if not (sep and name.strip() and price_id.strip()):
                raise ValueError(f"STRIPE_PLANS entry {item!r} must look like name=price_id")
        return value

    @property
    def stripe_plan_prices(self) -> dict[str, str]:
        pairs = (item.partition("=") for item in _split(self.stripe_plans))
        return {name.strip(): price.strip() for name, _, price in pairs}

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: str) -> str:
        for item in _split(value):
            ipaddress.ip_network(item, strict=False)
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return tuple(ipaddress.ip_network(item, strict=False) for item in _split(self.trusted_proxies))

    @field_validator("sso_allowed_issuers")
    @classmethod
    def _valid_origins(cls, value: str) -> str:
        for item in _split(value):
            if not item.startswith(("http://", "https://")) or "/" in item.split("://", 1)[1].rstrip("/"):
                raise ValueError(
                    f"SSO_ALLOWED_ISSUERS entry {item!r} must be an origin (https://idp.example)"
                )
        return value

    @property
    def backend_origin(self) -> str:
        """Scheme and host of KERNIA_BASE_URL (what browsers see as the backend origin)."""
        return self.kernia_base_url[: -len(AUTH_PATH)]


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
