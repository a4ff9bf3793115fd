"""The app's environment as its containers reach the stack: published host addresses become service addresses,
everything else (the sidecars on the gateway, the public URLs) stays as the host sees it."""

from __future__ import annotations

from harness.compose_cli import ComposeCLI
from harness.providers.compose_app import ComposeAppHost

HOST = ComposeAppHost(
    ComposeCLI(("docker", "compose"), "kh-p", ("/p/compose.yaml",)),
    {"POSTGRES_PORT": "41001", "REDIS_PORT": "41002", "MAILPIT_SMTP_PORT": "41003", "VAULT_PORT": "41004"},
    "kh-p_default",
    "172.30.0.1",
)


def test_published_addresses_become_service_addresses() -> None:
    env = {
        "DATABASE_URL": "postgresql://app:pw@127.0.0.1:41001/demo",
        "REDIS_URL": "redis://127.0.0.1:41002/0",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": "41003",
        "VAULT_ADDR": "http://127.0.0.1:41004",
    }
    assert HOST.inside(env) == {
        "DATABASE_URL": "postgresql://app:pw@postgres:5432/demo",
        "REDIS_URL": "redis://redis:6379/0",
        "SMTP_HOST": "mailpit",
        "SMTP_PORT": "1025",
        "VAULT_ADDR": "http://vault:8200",
    }


def test_public_urls_and_the_sidecars_on_the_gateway_stay() -> None:
    env = {
        "KERNIA_BASE_URL": "http://127.0.0.1:45000/api/auth",  # the ingress: the browser's address
        "SSO_ALLOWED_ISSUERS": "http://172.30.0.1:46000",
        "SSO_DNS_RESOLVER": "172.30.0.1:46001",
        "STRIPE_API_BASE": "http://172.30.0.1:46002",
    }
    assert HOST.inside(env) == env
