"""Step 6, intrusion: account-lifecycle attacks from the security reviews (F06, F07, F15, F16, F20, F21, F23, F27;
N1, N8).

Each check replays the review's request against the deployed backend and must see it refused; against the
backend built without its defences each one fails. Where a check needs set-up that Kernia rate-limits, the step
that fails without the defences comes as early as possible, so that build spends little of its shared budget.
"""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from harness.actions import emailed_link, session_user_id, sign_up_verified
from harness.client import SESSION_COOKIE, Account, AuthClient, links_in, unique_email
from harness.services.mail.client import MailpitClient, search_query

from .flows import ClientFactory, magic_link, magic_link_sign_in

pytestmark = pytest.mark.intrusion

NEW_PASSWORD = "Brand-new-Passw0rd!"
OTP = re.compile(r"\b(\d{6})\b")


@pytest.fixture
def new_client(new_client: ClientFactory) -> ClientFactory:
    """The suite's clients, also naming their own source address in X-Forwarded-For.

    The deployed backend trusts no proxy here, so it ignores the header and keys rate limits on the socket
    address, which is the same one. The build without defences believes the header: its checks then get one
    bucket per client, as a real attacker and victim would, instead of sharing one with every other check.
    """

    def factory(**kwargs: object) -> AuthClient:
        client = new_client(**kwargs)
        client.http.headers["X-Forwarded-For"] = client.local_address
        return client

    return factory


def _answer(response: httpx.Response) -> str:
    return f"{response.status_code} {response.text[:300]}"


def _otp(mail: MailpitClient, email: str, subject: str) -> str:
    message = mail.wait_for(to=email, subject=subject)
    found = OTP.search(message.text)
    assert found, f"the mail to {email} ({message.subject}) holds no six-digit code"
    return found.group(1)


def test_password_reset_evicts_a_stolen_session(new_client: ClientFactory, mail: MailpitClient) -> None:
    """F06: after the owner resets the password (link flow, then OTP flow) the thief's session is gone."""
    email = unique_email("reset-evicts")
    thief, owner = new_client(), new_client()
    user_id = magic_link_sign_in(thief, mail, email)
    minted = thief.post("/api-key/create", {"name": "thief"})
    assert minted.status_code == 200, f"the thief's /api-key/create answered {_answer(minted)}"
    key = minted.json()["key"]
    before = new_client().get("/get-session", headers={"x-api-key": key})
    assert ((before.json() or {}).get("user") or {}).get("id") == user_id, f"the new API key fails: {_answer(before)}"
    asked = owner.post("/forget-password", {"email": email, "redirectTo": "/reset"})
    assert asked.status_code == 200, f"/forget-password answered {_answer(asked)}"
    message = mail.wait_for(to=email, subject="reset")
    tokens = [m.group(1) for link in links_in(message.text) if (m := re.search(r"/reset-password/([^?/]+)", link))]
    assert tokens, f"the reset mail to {email} holds no reset link:\n{message.text}"
    reset = owner.post("/reset-password", {"token": tokens[0], "password": NEW_PASSWORD})
    assert reset.status_code == 200, f"POST /reset-password with the mailed token answered {_answer(reset)}"
    assert session_user_id(thief) is None, (
        f"after POST /reset-password answered 200, the thief's session still signs in as {user_id}"
    )
    probe = new_client().get("/get-session", headers={"x-api-key": key})
    assert not (probe.content and (probe.json() or {}).get("user")), (
        f"after the password reset, the thief's API key still authenticates: GET /get-session answered {_answer(probe)}"
    )
    thief.post("/sign-in/email-otp", {"email": email})
    signed = thief.post("/email-otp/verify", {"email": email, "otp": _otp(mail, email, "sign-in code")})
    assert signed.status_code == 200, f"the thief's second sign-in (email OTP) answered {_answer(signed)}"
    asked = owner.post("/forget-password/email-otp", {"email": email})
    assert asked.status_code == 200, f"/forget-password/email-otp answered {_answer(asked)}"
    code = _otp(mail, email, "password reset code")
    reset = owner.post("/email-otp/reset-password", {"email": email, "otp": code, "password": NEW_PASSWORD})
    assert reset.status_code == 200, f"POST /email-otp/reset-password answered {_answer(reset)}"
    assert session_user_id(thief) is None, (
        f"after POST /email-otp/reset-password answered 200, the thief's session still signs in as {user_id}"
    )


def test_magic_link_drops_a_password_set_before_verification(new_client: ClientFactory, mail: MailpitClient) -> None:
    """F07: a password chosen by whoever signed up with an unverified address dies when the owner verifies it."""
    victim = Account(unique_email("prehijack"), password="Attacker-chosen-1!")
    attacker, owner = new_client(), new_client()
    signed_up = attacker.sign_up(victim)
    assert signed_up.status_code == 200, f"the attacker's sign-up answered {_answer(signed_up)}"
    owner_id = magic_link_sign_in(owner, mail, victim.email)
    attacker.http.cookies.clear()
    response = attacker.sign_in(victim)
    assert response.status_code != 200, (
        f"after the owner signed in by magic link, the attacker's pre-set password signed in as {owner_id}: "
        f"/sign-in/email answered {_answer(response)}"
    )
    assert session_user_id(attacker) is None, "the attacker holds a session of the owner's account"


def test_a_later_sign_up_drops_a_password_set_before_verification(
    new_client: ClientFactory, mail: MailpitClient
) -> None:
    """N1: the owner signs up an address an attacker signed up first and opens the verification link the page
    asks for; the attacker's password must not sign in to the now verified account. A sign-up sent twice with the
    same password keeps it (the positive control)."""
    email = unique_email("prehijack-link")
    attacker, owner = new_client(), new_client()
    signed_up = attacker.sign_up(Account(email, password="Attacker-chosen-1!"))
    assert signed_up.status_code == 200, f"the attacker's sign-up answered {_answer(signed_up)}"
    owner.sign_up(Account(email, password="Owner-own-Passw0rd!"))  # answered like a fresh sign-up, as F20 wants
    sent = owner.post("/send-verification-email", {"email": email, "callbackURL": "/"})
    assert sent.status_code == 200, f"/send-verification-email answered {_answer(sent)}"
    opened = owner.http.get(emailed_link(mail, email, "verify", "verify-email"), follow_redirects=False)
    assert opened.status_code in (200, 302), f"the owner's verification link answered {_answer(opened)}"
    attacker.http.cookies.clear()
    response = attacker.sign_in(Account(email, password="Attacker-chosen-1!"))
    assert response.status_code != 200, (
        f"after the owner verified the address, the password the attacker chose at an earlier sign-up signs in: "
        f"/sign-in/email answered {_answer(response)}"
    )
    assert session_user_id(attacker) is None, "the attacker holds a session of the owner's account"
    account = Account(unique_email("resubmit"))
    client = new_client()
    first = client.sign_up(account)
    assert first.status_code == 200, f"the first sign-up answered {_answer(first)}"
    sign_up_verified(client, mail, account)
    signed_in = client.sign_in(account)
    assert signed_in.status_code == 200, (
        f"a sign-up sent twice with the same password, then verified, no longer signs in: {_answer(signed_in)}"
    )


def test_delete_user_requires_the_current_password(new_client: ClientFactory, mail: MailpitClient) -> None:
    """F16: a session alone (a stolen cookie, a script on the frontend) cannot delete the account."""
    account = sign_up_verified(new_client(), mail, Account(unique_email("leaver")))
    client = new_client()
    signed = client.sign_in(account)
    assert signed.status_code == 200, f"sign-in of {account.email} answered {_answer(signed)}"
    for body in ({}, {"password": "not-the-Passw0rd"}):
        response = client.post("/delete-user", body)
        assert response.status_code in (400, 401, 403), (
            f"POST /delete-user with {sorted(body) or 'no password'} answered {_answer(response)}"
        )
        assert session_user_id(client), f"the account {account.email} is gone after a refused /delete-user"
    response = client.post("/delete-user", {"password": account.password})
    assert response.status_code == 200, f"POST /delete-user with the right password answered {_answer(response)}"


@pytest.mark.parametrize("route", ["/send-verification-email", "/sign-in/magic-link"])
def test_an_email_field_holding_several_addresses_is_refused(
    new_client: ClientFactory, mail: MailpitClient, route: str
) -> None:
    """F15: one anonymous request must not mail a list of addresses (commas, semicolons, names, CR/LF)."""
    first, second = unique_email("list-a"), unique_email("list-b")
    client = new_client()
    for value in (f"{first}, {second}", f"{first};{second}", f"Anne <{first}>", f"{first}\r\nBcc: {second}"):
        response = client.post(route, {"email": value, "callbackURL": "/"})
        assert response.status_code == 400, f"{route} with email {value!r} answered {_answer(response)}"
    time.sleep(1)
    for address in (first, second):
        arrived = mail.search(search_query(to=address))
        assert not arrived, f"{route} mailed {address} although every request was refused"


def test_addresses_are_normalised_and_validated(new_client: ClientFactory, mail: MailpitClient) -> None:
    """F27: a non-address is refused, and another spelling of a mailbox reaches the same account."""
    response = new_client().post("/send-verification-email", {"email": f"not-an-address-{time.time_ns()}"})
    assert response.status_code == 400, f"/send-verification-email with a non-address answered {_answer(response)}"
    email = unique_email("norm")
    first = new_client()
    first.post("/sign-in/email-otp", {"email": email})
    verified = first.post("/email-otp/verify", {"email": email, "otp": _otp(mail, email, "sign-in code")})
    assert verified.status_code == 200, f"/email-otp/verify answered {_answer(verified)}"
    user_id = session_user_id(first)
    second = new_client()
    spelled = f"  {email.upper()} "
    link = magic_link(second, mail, spelled, mailbox=email)
    second.http.get(link, follow_redirects=False)
    other_id = session_user_id(second)
    assert other_id == user_id, (
        f"a magic link for {spelled!r} signed in as {other_id}, not as {user_id}, the account of {email}"
    )


def _refused(response: httpx.Response, frontend_url: str) -> bool:
    """A refusal as a person meets it: a 4xx, or, for a link opened from an email, a redirect to the frontend
    that carries ``?error=`` and signs no one in."""
    if 400 <= response.status_code < 500:
        return True
    location = response.headers.get("location", "")
    signed_in = any(SESSION_COOKIE in c for c in response.headers.get_list("set-cookie"))
    return response.is_redirect and location.startswith(frontend_url) and "error=" in location and not signed_in


def test_magic_link_redirects_only_to_the_site(
    new_client: ClientFactory, mail: MailpitClient, frontend_url: str
) -> None:
    """F23: no sign-in link that lands on a foreign site; a bad callback at verification spends no token."""
    email = unique_email("callback")
    client = new_client()
    for name in ("callbackURL", "newUserCallbackURL", "errorCallbackURL"):
        response = client.post("/sign-in/magic-link", {"email": email, name: "https://evil.example/welcome"})
        assert response.status_code == 400, (
            f"/sign-in/magic-link with {name}=https://evil.example/welcome answered {_answer(response)}"
        )
    link = magic_link(client, mail, email)
    token = re.search(r"[?&]token=([^&]+)", link)
    assert token, f"the magic link {link} has no token"
    for target in ("https://ev\u0101l.example/", "/home\r\nSet-Cookie: x=y", "https://evil.example/"):
        try:
            response = client.get("/magic-link/verify", params={"token": token.group(1), "callbackURL": target})
        except httpx.HTTPError as exc:
            pytest.fail(f"/magic-link/verify with callbackURL={target!r} dropped the connection ({exc})")
        assert _refused(response, frontend_url), (
            f"/magic-link/verify with callbackURL={target!r} answered {_answer(response)}"
        )
    response = client.http.get(link, follow_redirects=False)
    assert session_user_id(client), (
        f"the genuine magic link no longer signs in after refused attempts: {_answer(response)}"
    )


def test_sign_up_and_sign_in_do_not_reveal_registered_addresses(new_client: ClientFactory) -> None:
    """F20: sign-up of a taken address answers like a fresh one; a miss at sign-in costs what a wrong password does."""
    account = Account(unique_email("enum"))
    fresh = new_client().sign_up(account)
    assert fresh.status_code == 200, f"the first sign-up answered {_answer(fresh)}"
    taken = new_client().sign_up(Account(account.email, "Another-Passw0rd!"))
    assert taken.status_code == 200, f"sign-up with a registered address answered {_answer(taken)}"
    fresh_user, taken_user = fresh.json().get("user") or {}, taken.json().get("user") or {}
    assert sorted(taken_user) == sorted(fresh_user), (
        f"sign-up of a taken address answered fields {sorted(taken_user)}, a new one {sorted(fresh_user)}"
    )
    assert taken_user.get("id") != fresh_user.get("id"), "sign-up of a taken address disclosed the owner's user id"

    def elapsed(email: str) -> float:
        started = time.perf_counter()
        response = new_client().sign_in(Account(email, "wrong-password-x"))
        assert response.status_code == 401, f"a wrong sign-in for {email} answered {_answer(response)}"
        return time.perf_counter() - started

    # Interleaved, the fastest of three each: both see the same load from the checks and the fault phase beside
    # this one (measured one after the other, a burst of load in one block alone read as a 2x difference). The
    # defect answers an unregistered address without hashing, ~25x faster; on a loaded container stack the
    # registered path's own database lookups (Kernia reads the user's accounts) were seen to cost up to 2.1x.
    rounds = [(elapsed(account.email), elapsed(unique_email("nobody"))) for _ in range(3)]
    known, unknown = min(pair[0] for pair in rounds), min(pair[1] for pair in rounds)
    assert unknown >= known / 3, (
        f"a wrong password took {known * 1000:.0f} ms for a registered address but {unknown * 1000:.0f} ms for an "
        "unregistered one: the timing tells who is registered"
    )


def test_sign_up_then_sign_in_does_not_reveal_registered_addresses(
    new_client: ClientFactory, mail: MailpitClient
) -> None:
    """N8: sign up with a password, then sign in with it: a registered address must answer like a free one (whose
    sign-up really created the row, so the password is right but the address unverified). The free address's owner
    gets a verification link by mail and, once verified, signs in (the positive control)."""
    registered = sign_up_verified(new_client(), mail, Account(unique_email("oracle-known")))
    answers: dict[str, tuple[int, object, object]] = {}
    for label, email in (("registered", registered.email), ("free", unique_email("oracle-free"))):
        client = new_client()
        probe = Account(email, password="Probe-Passw0rd-1!")
        client.sign_up(probe)
        answer = client.sign_in(probe)
        body = answer.json() if answer.content else {}
        answers[label] = (answer.status_code, body.get("code"), body.get("message"))
    assert answers["registered"] == answers["free"], (
        f"sign-up then sign-in with the same password answers {answers['registered']} for a registered address but "
        f"{answers['free']} for a free one: the answer tells who is registered"
    )
    owner = new_client()
    free = Account(email, password="Probe-Passw0rd-1!")
    opened = owner.http.get(emailed_link(mail, email, "verify", "verify-email"), follow_redirects=False)
    assert opened.status_code in (200, 302), f"the verification link mailed at sign-in answered {_answer(opened)}"
    signed_in = owner.sign_in(free)
    assert signed_in.status_code == 200, f"after verifying, the sign-up's own password answered {_answer(signed_in)}"


def test_a_magic_link_lookup_cannot_consume_an_otp(
    new_client: ClientFactory, mail: MailpitClient, frontend_url: str
) -> None:
    """F21: GET /magic-link/verify?token=email-otp:sign-in:<victim> must not kill the victim's pending OTP."""
    email = unique_email("otp-dos")
    victim, attacker = new_client(), new_client()
    sent = victim.post("/sign-in/email-otp", {"email": email})
    assert sent.status_code == 200, f"/sign-in/email-otp answered {_answer(sent)}"
    code = _otp(mail, email, "sign-in code")
    probe = attacker.get("/magic-link/verify", params={"token": f"email-otp:sign-in:{email}"})
    assert _refused(probe, frontend_url), f"/magic-link/verify with another flow's row key answered {_answer(probe)}"
    verified = victim.post("/email-otp/verify", {"email": email, "otp": code})
    assert verified.status_code == 200, (
        f"the victim's genuine OTP was refused after an anonymous magic-link probe: {_answer(verified)}"
    )


def test_a_reset_lookup_cannot_consume_a_magic_link(new_client: ClientFactory, mail: MailpitClient) -> None:
    """F21: POST /reset-password with a magic link's stored payload must not kill the victim's pending link."""
    email = unique_email("link-dos")
    victim, attacker = new_client(), new_client()
    link = magic_link(victim, mail, email)
    payload = json.dumps({"email": email, "name": None})
    probe = attacker.post("/reset-password", {"token": payload, "password": "whatever-1234"})
    assert probe.status_code == 400, f"/reset-password with a magic-link payload answered {_answer(probe)}"
    response = victim.http.get(link, follow_redirects=False)
    assert session_user_id(victim), f"the victim's genuine magic link was spent by a reset probe: {_answer(response)}"
