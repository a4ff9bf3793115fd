"""Client of the test IdP's own control endpoints (``/_harness/*``), which harness.services.oidc.fake serves."""

from __future__ import annotations

from typing import Any

import httpx

# The one OIDC client the rehearsal registers: the deployment's callbacks step and the SSO checks share it.
CLIENT_ID = "kernia-rehearsal"


def register_client(
    issuer: str, redirect_uris: list[str], *, client_id: str = CLIENT_ID, timeout: float = 5.0
) -> httpx.Response:
    """Add ``redirect_uris`` to those ``client_id`` has registered with the IdP at ``issuer``; returns its answer."""
    body = {"client_id": client_id, "redirect_uris": redirect_uris}
    return httpx.post(f"{issuer}/_harness/clients", json=body, timeout=timeout)


def next_user(issuer: str, identity: dict[str, Any]) -> httpx.Response:
    """Choose who signs in at the IdP next (its claims: sub, email, name ...); returns its answer."""
    return httpx.post(f"{issuer}/_harness/next-user", json=identity)
