"""harness.actions.emailed_link against a Mailpit API served in-process: a check waiting for an emailed link gets
the link, or fails naming what it waited for (recipient, subject, link)."""

from __future__ import annotations

import types
from typing import Any

import httpx
import pytest

from harness.actions import DrillError, emailed_link
from harness.services.mail import client as mail_client
from harness.services.mail.client import MailpitClient

TO = "alice@example.com"
BODY = "Hello,\nhttps://auth.test/docs\nhttps://auth.test/verify-email?token=abc.\nhttps://auth.test/verify-email?token=old"


def mailpit(*messages: dict[str, Any]) -> MailpitClient:
    """A MailpitClient whose API answers from ``messages`` (Mailpit's message documents): every search finds them."""

    def answer(request: httpx.Request) -> httpx.Response:
        summaries = [{"ID": m["ID"], "Subject": m["Subject"], "To": m["To"]} for m in messages]
        if request.url.path in ("/api/v1/search", "/api/v1/messages"):
            return httpx.Response(200, json={"messages": summaries})
        found = [m for m in messages if request.url.path == f"/api/v1/message/{m['ID']}"]
        return httpx.Response(200, json=found[0]) if found else httpx.Response(404)

    client = MailpitClient("http://mailpit.test")
    client.http.close()
    client.http = httpx.Client(base_url=client.base_url, transport=httpx.MockTransport(answer))
    return client


def message(text: str) -> dict[str, Any]:
    return {"ID": "m1", "Subject": "Verify your email", "To": [{"Address": TO}], "Text": text}


@pytest.fixture
def instant_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """wait_for's clock, where each poll's sleep passes at once: its timeout ends without waiting for it."""
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    monkeypatch.setattr(mail_client, "time", types.SimpleNamespace(monotonic=lambda: now[0], sleep=sleep))


def test_the_first_link_holding_the_marker_is_returned() -> None:
    link = emailed_link(mailpit(message(BODY)), TO, "verify", "verify-email")
    assert link == "https://auth.test/verify-email?token=abc"


def test_an_email_without_the_link_fails_naming_it_and_quoting_the_email_without_its_tokens() -> None:
    token = "Zk3q9vXbP0aLr7TnWc2yHs5d"
    text = f"Hello, no verification link here; reset: https://auth.test/reset-password/{token}?callbackURL=/"
    with pytest.raises(DrillError) as failure:
        emailed_link(mailpit(message(text)), TO, "verify", "verify-email")
    assert f"no verify-email link in the 'verify' email to {TO}" in str(failure.value)
    assert "Hello, no verification link here; reset: https://auth.test/reset-password/<token>" in str(failure.value)
    assert token not in str(failure.value)


def test_an_email_that_never_comes_fails_naming_the_link_and_the_wait(instant_clock: None) -> None:
    with pytest.raises(DrillError) as failure:
        emailed_link(mailpit(), TO, "sign in", "magic-link/verify")
    assert f"no magic-link/verify link in the 'sign in' email to {TO}" in str(failure.value)
    assert "within 15 s" in str(failure.value)
