"""Records the unit tests share: an Endpoints value with every field set, and a project's answers file."""

from __future__ import annotations

from pathlib import Path

from harness.endpoints import Endpoints, ServiceInfo

ENDPOINTS = Endpoints(
    provider="native",
    database_url="postgresql://postgres:pw-123@127.0.0.1:5432/postgres",
    redis_url="redis://:redis-pw@127.0.0.1:6379/0",
    smtp_host="127.0.0.1",
    smtp_port=1025,
    mailpit_api_url="http://127.0.0.1:8025",
    aws_endpoint_url="http://127.0.0.1:4566",
    stripe_api_base="http://127.0.0.1:12111",
    vault_addr="http://127.0.0.1:8200",
    vault_token="root-token-value",
    oidc_issuer="http://127.0.0.1:9000",
    services=(ServiceInfo("vault", "OpenBao", "2.7.2", "native"),),
)


def write_answers(root: Path, **answers: object) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    data = {"project_slug": "demo_auth", "auth_path": "/api/auth", "postgres_major": 18, **answers}
    (root / ".copier-answers.yml").write_text("\n".join(f"{k}: {v}" for k, v in data.items()) + "\n")
    return root
