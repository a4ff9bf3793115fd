"""Step 6, auth: sign-up with email verification, login, session, refresh, logout; email links use the auth base URL."""

from __future__ import annotations

import time
from collections.abc import Callable

from harness.actions import emailed_link
from harness.client import SESSION_COOKIE, Account, AuthClient, session_expiry, unique_email
from harness.services.mail.client import MailpitClient

from .flows import ClientFactory


def test_sign_up_sends_verification_link_under_auth_base_url(
    new_client: ClientFactory, mail: MailpitClient, auth_base_url: str
) -> None:
    account = Account(unique_email("signup"))
    client = new_client()
    assert client.sign_up(account).status_code == 200
    assert client.session_cookie is None, "an unverified user was signed in on sign-up"
    refused = client.sign_in(account)  # answered like a wrong password, so it tells no one who is registered (N8)
    assert refused.status_code == 401, f"sign-in before verification answered {refused.status_code}"
    assert client.session_cookie is None, "an unverified user was signed in"
    assert client.post("/send-verification-email", {"email": account.email, "callbackURL": "/"}).status_code == 200
    link = emailed_link(mail, account.email, "verify", "verify-email")
    assert link.startswith(f"{auth_base_url}/verify-email"), f"verification link {link} is not under {auth_base_url}"
    assert client.http.get(link, follow_redirects=False).status_code in (200, 302)
    assert client.sign_in(account).status_code == 200, "sign-in after verification failed"


def test_login_sets_session_cookie_and_get_session_returns_it(
    new_client: ClientFactory, verified_account: Callable[..., Account]
) -> None:
    account = verified_account("login")
    client = new_client()
    response = client.sign_in(account)
    assert response.status_code == 200, response.text
    set_cookie = response.headers.get("set-cookie", "")
    assert SESSION_COOKIE in set_cookie and "HttpOnly" in set_cookie, f"no HttpOnly session cookie: {set_cookie}"
    session = client.get_session()
    assert session is not None and session["user"]["email"] == account.email


def test_session_refresh_moves_expiry_forward(signed_in: tuple[AuthClient, Account]) -> None:
    client, _ = signed_in
    before = client.get_session()
    assert before is not None
    time.sleep(1.5)  # past the deployment's session update age (1 s)
    refreshed = client.get("/get-session")
    assert refreshed.status_code == 200
    after = client.get_session()
    assert after is not None
    assert session_expiry(after) > session_expiry(before), (
        f"session expiry did not move on refresh: {before['session']['expiresAt']} -> {after['session']['expiresAt']}"
    )


def test_logout_refuses_the_old_cookie(signed_in: tuple[AuthClient, Account], new_client: ClientFactory) -> None:
    client, _ = signed_in
    old_cookie = client.session_cookie
    assert old_cookie
    assert client.sign_out().status_code == 200
    replay = new_client()
    replay.http.cookies.set(SESSION_COOKIE, old_cookie)
    assert replay.get_session() is None, "the session cookie still works after sign-out"


def test_magic_link_uses_auth_base_url_and_signs_in(
    new_client: ClientFactory,
    verified_account: Callable[..., Account],
    mail: MailpitClient,
    auth_base_url: str,
) -> None:
    account = verified_account("magic")
    client = new_client()
    response = client.post("/sign-in/magic-link", {"email": account.email, "callbackURL": "/"})
    assert response.status_code == 200, response.text
    link = emailed_link(mail, account.email, "sign in", "magic-link/verify")
    assert link.startswith(f"{auth_base_url}/magic-link/verify"), f"magic link {link} is not under {auth_base_url}"
    client.http.get(link, follow_redirects=False)
    assert client.get_session() is not None, "following the magic link did not sign in"


def test_password_reset_email_uses_auth_base_url(
    new_client: ClientFactory,
    verified_account: Callable[..., Account],
    mail: MailpitClient,
    auth_base_url: str,
) -> None:
    account = verified_account("reset")
    client = new_client()
    response = client.post("/forget-password", {"email": account.email, "redirectTo": "/reset"})
    assert response.status_code == 200, response.text
    link = emailed_link(mail, account.email, "reset", "reset-password")
    assert link.startswith(auth_base_url), f"reset link {link} is not under {auth_base_url}"
