"""Step 6, intrusion: attacks on Kernia 0.1.0's known defects must all be refused by the deployed backend.

The repository's own tests also run these against a deliberately unhardened backend, where each must fail.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.client import Account, AuthClient, unique_email

from .flows import ClientFactory

pytestmark = pytest.mark.intrusion

SPOOFED_CLIENT = "203.0.113.7"  # documentation range: only ever a header value, never a destination


def test_email_otp_cannot_be_minted_for_someone_else(
    new_client: ClientFactory, verified_account: Callable[..., Account]
) -> None:
    victim = verified_account("otp-victim")
    attacker = new_client()
    for route in ("/email-otp/create-verification-otp", "/email-otp/get-verification-otp"):
        response = attacker.post(route, {"email": victim.email, "type": "sign-in"})
        leaked = response.status_code == 200 and "otp" in response.text.lower()
        assert not leaked, f"{route} handed out an OTP for {victim.email}: {response.status_code} {response.text}"
        assert response.status_code >= 400, f"{route} answered {response.status_code} to an anonymous caller"
    assert attacker.get_session() is None


def test_api_key_cannot_be_created_for_another_user(
    new_client: ClientFactory, verified_account: Callable[..., Account], signed_in: tuple[AuthClient, Account]
) -> None:
    victim = verified_account("key-victim")
    assert victim.user_id
    anonymous = new_client().post("/api-key/create", {"userId": victim.user_id, "name": "stolen"})
    assert anonymous.status_code in (401, 403), f"anonymous API-key creation answered {anonymous.status_code}"
    attacker, _ = signed_in
    response = attacker.post("/api-key/create", {"userId": victim.user_id, "name": "stolen"})
    if response.status_code == 200:
        key = response.json().get("key")
        probe = new_client().get("/get-session", headers={"x-api-key": key})
        user = ((probe.json() or {}).get("user") or {}) if probe.content else {}
        assert user.get("id") != victim.user_id, "a signed-in user minted an API key that authenticates as another"
    else:
        assert response.status_code in (401, 403), f"cross-user API-key creation answered {response.status_code}"


def test_sign_in_rate_limit_is_not_reset_by_spoofed_forwarded_for(new_client: ClientFactory) -> None:
    client = new_client()
    wrong = Account(unique_email("ratelimit"), password="wrong-password-1")
    statuses = [client.sign_in(wrong).status_code for _ in range(30)]
    assert 429 in statuses, f"30 failed sign-ins from one client were never rate limited: {sorted(set(statuses))}"
    spoofed = client.post(
        "/sign-in/email",
        {"email": wrong.email, "password": wrong.password},
        headers={"X-Forwarded-For": SPOOFED_CLIENT},
    )
    assert spoofed.status_code == 429, (
        f"a spoofed X-Forwarded-For reset the sign-in rate limit (answered {spoofed.status_code})"
    )
