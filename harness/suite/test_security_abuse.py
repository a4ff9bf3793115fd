"""Abuse: guessing, mail floods, event-loop stalls and audit floods (security review F11, F13, F14, F19, F22).

Each check replays the review's request from its own loopback addresses. The checks that exhaust a limit carry
"rate_limit" in their names: against the undefended build every client shares one bucket, so they run last.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from harness import tls
from harness.authz import operator_headers
from harness.client import SESSION_COOKIE, Account, AuthClient, next_loopback_address, unique_email
from harness.services.mail.client import MailpitClient

from .flows import ClientFactory, magic_link_sign_in, metric_total, scrape_metrics

pytestmark = pytest.mark.intrusion

WRONG = "wrong-password-x"
AUDIT_WRITE_SECONDS = 10.0


def sign_in_statuses(client: AuthClient, email: str, times: int) -> list[int]:
    return [client.post("/sign-in/email", {"email": email, "password": WRONG}).status_code for _ in range(times)]


def test_sign_in_rate_limit_ignores_the_callers_own_sessions(
    new_client: ClientFactory, verified_account: Callable[..., Account], mail: MailpitClient
) -> None:
    """F13: wrong passwords from one address, then with three session cookies of the attacker's own."""
    victim = verified_account("f13-victim")
    own = [new_client() for _ in range(3)]
    for client in own:  # sessions of the attacker's own, made the way the review made them: by magic link
        magic_link_sign_in(client, mail, unique_email("f13-attacker"))
    cookies = [str(client.session_cookie) for client in own]
    attacker = new_client()
    bare = sign_in_statuses(attacker, victim.email, 11)
    assert 429 in bare, f"11 wrong passwords for one account from one address were never refused: {bare}"
    with_sessions: list[int] = []
    for cookie in cookies:
        attacker.http.cookies.clear()
        attacker.http.cookies.set(SESSION_COOKIE, cookie)
        with_sessions += sign_in_statuses(attacker, victim.email, 3)
    assert set(with_sessions) == {429}, (
        f"after the limit, POST /sign-in/email with the caller's own session cookies answered {with_sessions}: "
        "each session bought a fresh bucket of password guesses"
    )
    elsewhere = sign_in_statuses(new_client(), victim.email, 1)
    assert elsewhere == [429], (
        f"a guess for the same account from another address answered {elsewhere}: failures are not counted per account"
    )


def test_otp_guessing_rate_limit_counts_per_address_across_fresh_codes(
    new_client: ClientFactory, verified_account: Callable[..., Account]
) -> None:
    """F11: five rounds, each from a new address: a fresh reset code, then three guesses of it."""
    victim = verified_account("f11-victim")
    requested: list[int] = []
    guessed: list[int] = []
    for _ in range(5):
        client = new_client()
        requested.append(client.post("/email-otp/request-password-reset", {"email": victim.email}).status_code)
        body = {"email": victim.email, "otp": "000000", "type": "forget-password"}
        guessed += [client.post("/email-otp/check-verification-otp", body).status_code for _ in range(3)]
    evaluated = [status for status in guessed if status != 429]
    assert len(evaluated) <= 10, (
        f"POST /email-otp/check-verification-otp evaluated {len(evaluated)} of 15 guesses for one address "
        f"(statuses {guessed}); fresh codes requested: {requested}"
    )
    assert 429 in requested, f"POST /email-otp/request-password-reset mailed 5 fresh codes to one address: {requested}"


def test_mail_rate_limit_per_recipient_and_per_client(
    new_client: ClientFactory, verified_account: Callable[..., Account]
) -> None:
    """F14: mails to one recipient from many addresses, and mails to many recipients from one address."""
    victim = verified_account("f14-victim")
    stranger = unique_email("f14-never-signed-up")
    resets = [new_client().post("/email-otp/request-password-reset", {"email": victim.email}) for _ in range(5)]
    verifications = [new_client().post("/send-verification-email", {"email": stranger}) for _ in range(5)]
    for route, answers in (("/email-otp/request-password-reset", resets), ("/send-verification-email", verifications)):
        statuses = [r.status_code for r in answers]
        assert statuses[3:] == [429, 429], (
            f"POST {route} to one recipient from five addresses answered {statuses}: no per-recipient throttle"
        )
    one = new_client()
    spread = [one.post("/sign-in/magic-link", {"email": unique_email("f14-spread")}).status_code for _ in range(8)]
    assert 429 in spread, f"POST /sign-in/magic-link to 8 recipients from one address answered {spread}"


def test_password_hashing_does_not_stall_other_requests(new_client: ClientFactory, backend_url: str) -> None:
    """F19: /healthz on a warm keep-alive connection, polled while one wrong-password sign-in runs."""
    account = Account(unique_email("f19"))
    signed_up = new_client().sign_up(account)
    assert signed_up.status_code == 200, f"POST /sign-up/email answered {signed_up.status_code}: {signed_up.text}"
    signer = new_client()
    signer.get("/ok")  # warm: the sign-in's time is the server's
    tries: list[tuple[int, float, float]] = []
    transport = tls.transport(next_loopback_address())
    with httpx.Client(transport=transport, timeout=20) as probe:
        probe.get(f"{backend_url}/healthz").raise_for_status()
        for _ in range(3):
            tries.append(_probe_during_sign_in(signer, account.email, probe, f"{backend_url}/healthz"))
            status, sign_in, worst = tries[-1]
            if status == 401 and worst < sign_in / 2:
                break
    status, sign_in, worst = min(tries, key=lambda t: (t[0] != 401, t[2] / t[1]))
    assert status == 401, f"a wrong-password sign-in answered {status}, so no hash ran (tries: {tries})"
    assert worst < sign_in / 2, (
        f"GET /healthz took up to {worst * 1000:.0f} ms while a wrong-password sign-in took {sign_in * 1000:.0f} ms "
        f"(best of {len(tries)}): password hashing blocks every other request"
    )


def _probe_during_sign_in(signer: AuthClient, email: str, probe: httpx.Client, url: str) -> tuple[int, float, float]:
    """(sign-in status, sign-in seconds, slowest probe seconds) for one sign-in with probes polled meanwhile."""
    result: dict[str, float] = {}

    def sign_in() -> None:
        started = time.perf_counter()
        result["status"] = signer.post("/sign-in/email", {"email": email, "password": WRONG}).status_code
        result["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=sign_in)
    thread.start()
    worst = 0.0
    while thread.is_alive():
        started = time.perf_counter()
        probe.get(url)
        worst = max(worst, time.perf_counter() - started)
        time.sleep(0.002)
    thread.join()
    return int(result.get("status", 0)), result.get("seconds", 1.0), worst


def webhook_failures_counted(backend_url: str, token: str) -> float | None:
    """webhook_signature_failures_total from /metrics; None when the project has no metrics."""
    samples = scrape_metrics(f"{backend_url}/metrics", operator_headers(token))
    return None if samples is None else metric_total(samples, "webhook_signature_failures_total")


def audit_rows(admin: AuthClient, backend_url: str, event: str, address: str) -> list[dict[str, Any]]:
    """The audit rows of ``event`` caused from ``address``, read as an operator would (the admin audit route).

    Waits up to ``AUDIT_WRITE_SECONDS`` for the first row: a refusal is audited once its answer is sent (the
    observer runs when the response is done), so on a busy backend the row lands a moment after the caller's
    last answer."""
    deadline = time.monotonic() + AUDIT_WRITE_SECONDS
    while True:
        answer = admin.http.get(f"{backend_url}/admin/audit-events", params={"event": event, "limit": 1000})
        assert answer.status_code == 200, f"GET /admin/audit-events answered {answer.status_code}: {answer.text[:200]}"
        rows = [row for row in answer.json()["events"] if row.get("ip_address") == address]
        if rows or time.monotonic() >= deadline:
            return rows
        time.sleep(0.2)


def test_junk_webhooks_are_counted_not_each_audited(
    new_client: ClientFactory, admin_client: AuthClient, backend_url: str, backend_secrets: dict[str, str]
) -> None:
    """F22: 30 anonymous webhooks with a junk signature from one address."""
    before = webhook_failures_counted(backend_url, backend_secrets["ops_token"])
    junk = new_client()
    headers = {"stripe-signature": "t=1,v1=00", "content-type": "application/json"}
    statuses = [
        junk.http.post(junk.url("/stripe/webhook"), content=b"{}", headers=headers).status_code for _ in range(30)
    ]
    assert set(statuses) == {400}, f"junk-signed POST /stripe/webhook answered {sorted(set(statuses))}, not 400"
    rows = audit_rows(admin_client, backend_url, "webhook.signature_failed", junk.local_address)
    assert 1 <= len(rows) <= 2, (
        f"30 junk webhooks from {junk.local_address} left {len(rows)} webhook.signature_failed audit rows: "
        "the flood must be audited, but sampled (at most one row a minute per client)"
    )
    after = webhook_failures_counted(backend_url, backend_secrets["ops_token"])
    if before is not None and after is not None:
        assert after - before >= 30, f"webhook_signature_failures_total grew by {after - before} for 30 junk webhooks"


def test_rate_limit_refusals_are_counted_not_each_audited(
    new_client: ClientFactory, admin_client: AuthClient, backend_url: str
) -> None:
    """F22: a flood of refused sign-ins (429s) from one address is audited sampled, not one row per refusal."""
    flood = new_client()
    wrong = Account(unique_email("flood"), password="wrong-Passw0rd-1")
    statuses = [flood.sign_in(wrong).status_code for _ in range(16)]
    refused = statuses.count(429)
    assert refused >= 3, f"16 failed sign-ins from one address met {refused} refusals: {statuses}"
    rows = audit_rows(admin_client, backend_url, "rate_limit.blocked", flood.local_address)
    assert 1 <= len(rows) <= 2, (
        f"{refused} rate-limit refusals from {flood.local_address} left {len(rows)} rate_limit.blocked audit rows: "
        "they must be audited, but sampled (at most one row a minute per route and client)"
    )
