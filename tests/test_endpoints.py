"""Endpoints records: JSON round trip and redaction."""

from __future__ import annotations

from harness.endpoints import Endpoints, redact_url
from tests.helpers.records import ENDPOINTS


def test_endpoints_round_trip_and_redaction() -> None:
    assert Endpoints.from_dict(ENDPOINTS.to_dict(reveal=True)) == ENDPOINTS
    shown = ENDPOINTS.to_json()
    for secret in ("pw-123", "redis-pw", "root-token-value"):
        assert secret not in shown
    assert "postgresql://postgres:***@127.0.0.1:5432/postgres" in shown
    assert ENDPOINTS.services[0].describe() == "vault: OpenBao 2.7.2, native"


def test_redact_url_leaves_passwordless_urls_alone() -> None:
    assert redact_url("http://127.0.0.1:8025") == "http://127.0.0.1:8025"
