"""Step 6, intrusion: session lifetimes (security review F29).

A "don't remember me" sign-in must not leave a week-long session on the server: a cookie taken from a shared
computer stays usable only for the short lifetime.
"""

from __future__ import annotations

import time

import pytest

from harness.client import Account, AuthClient, session_expiry

from .flows import ClientFactory

pytestmark = pytest.mark.intrusion

DAY = 24 * 3600


def test_unremembered_sign_in_is_short_lived_on_the_server(
    new_client: ClientFactory, signed_in: tuple[AuthClient, Account]
) -> None:
    _, account = signed_in
    client = new_client()
    body = {"email": account.email, "password": account.password, "rememberMe": False}
    response = client.post("/sign-in/email", body)
    assert response.status_code == 200, f"sign-in without remember-me answered {response.status_code}"
    session = client.get("/get-session", params={"disableRefresh": "true"}).json()
    lifetime = session_expiry(session).timestamp() - time.time()
    assert lifetime <= DAY + 60, f"a don't-remember-me session lives {lifetime / DAY:.1f} days on the server"
