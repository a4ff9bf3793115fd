"""Step 6, intrusion: session lifetimes (security review F29, outside review N5).

A "don't remember me" sign-in must not leave a week-long session on the server: a cookie taken from a shared
computer stays usable only for the short lifetime, and a refresh by whoever holds only the token (not the
browser's ``dont_remember`` cookie) does not extend it. Nor does a refresh turn an admin's one-hour
impersonation session into a week.
"""

from __future__ import annotations

import time

import pytest

from harness.actions import client_for, expect, sign_in
from harness.client import Account, AuthClient, session_expiry

from .flows import ClientFactory

pytestmark = pytest.mark.intrusion

DAY = 24 * 3600
HOUR = 3600


def server_lifetime(client: AuthClient) -> float:
    """Seconds the session left on the server, read without refreshing it."""
    session = expect(client.get("/get-session", params={"disableRefresh": "true"}), "get-session")
    assert session, "the session no longer signs anyone in"
    return session_expiry(session).timestamp() - time.time()


def refreshed_lifetime(client: AuthClient) -> float:
    """A plain get-session, as a thief holding only the token cookie sends it; then the server-side lifetime."""
    cookie = client.session_cookie
    assert cookie, "no session cookie"
    with client_for(client.auth_base_url, client.origin, cookie=cookie) as thief:
        assert thief.get_session(), "the copied session cookie signs no one in"
    return server_lifetime(client)


def test_session_lifetime_caps_hold_through_a_refresh(
    new_client: ClientFactory, admin_account: Account, signed_in: tuple[AuthClient, Account]
) -> None:
    """F29 and N5 in one check (Kernia itself never extends a session, so only the cap it lacks can fail it): a
    don't-remember-me session is short on the server, and neither it nor an impersonation session is extended
    by a refresh sent with only the token cookie."""
    _, account = signed_in
    client = new_client()
    body = {"email": account.email, "password": account.password, "rememberMe": False}
    response = client.post("/sign-in/email", body)
    assert response.status_code == 200, f"sign-in without remember-me answered {response.status_code}"
    lifetime = server_lifetime(client)
    assert lifetime <= DAY + 60, f"a don't-remember-me session lives {lifetime / DAY:.1f} days on the server"
    lifetime = refreshed_lifetime(client)
    assert lifetime <= DAY + 60, (
        f"one get-session with only the token cookie extended a don't-remember-me session to {lifetime / DAY:.1f} days"
    )
    admin = new_client()  # impersonating replaces the admin's cookie: not the shared admin client
    sign_in(admin, admin_account)
    expect(admin.post("/admin/impersonate-user", {"userId": account.user_id}), "impersonate-user")
    assert server_lifetime(admin) <= HOUR + 60, "the impersonation session does not start short"
    lifetime = refreshed_lifetime(admin)
    assert lifetime <= HOUR + 60, f"one get-session extended an impersonation session to {lifetime / DAY:.1f} days"
