"""The external provider: endpoints from HARNESS_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.providers import ProviderError
from harness.providers.external import ENV_VARS, ExternalProvider, endpoints_from_env


def test_external_provider_reads_every_endpoint_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for field, var in ENV_VARS.items():
        monkeypatch.setenv(var, f"value-{field}")
    monkeypatch.setenv("HARNESS_SMTP_PORT", "2525")
    handle = ExternalProvider(tmp_path).up(tmp_path)
    endpoints = handle.endpoints
    assert endpoints.provider == "external" and handle.run_dir == tmp_path
    assert endpoints.smtp_port == 2525 and endpoints.vault_addr == "value-vault_addr"
    assert {s.mode for s in endpoints.services} == {"external"}


def test_external_provider_lists_every_missing_variable() -> None:
    with pytest.raises(ProviderError) as caught:
        endpoints_from_env({"HARNESS_DATABASE_URL": "postgresql://x"})
    message = str(caught.value)
    assert "HARNESS_REDIS_URL" in message and "HARNESS_VAULT_TOKEN" in message
    assert "HARNESS_DATABASE_URL" not in message and "HARNESS_OIDC_ISSUER" not in message


def test_external_provider_refuses_a_bad_port() -> None:
    env = {var: "x" for var in ENV_VARS.values()}
    with pytest.raises(ProviderError, match="HARNESS_SMTP_PORT must be a port number"):
        endpoints_from_env(env)
