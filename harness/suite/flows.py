"""What the suite's check modules share besides fixtures: they import it from here, never from conftest.py
(the API actions live in harness.actions)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from harness.client import AuthClient, links_in
from harness.report import SECONDS_PROPERTY, Outcome
from harness.services.mail.client import MailpitClient

ClientFactory = Callable[..., AuthClient]  # the ``new_client`` fixture: a fresh AuthClient, closed after the test


def report_drill_check(request: pytest.FixtureRequest, result: Outcome) -> None:
    """Report one drill check with its share of the drill's time, and fail with the drill's own evidence (without
    a traceback, that evidence is what the report shows)."""
    request.node.user_properties.append((SECONDS_PROPERTY, result.seconds))
    if result.status != "passed":
        pytest.fail(f"{result.name}: {result.detail}", pytrace=False)


def verification_link(mail: MailpitClient, email: str) -> str:
    """The verify-email link of the verification email sent to ``email``."""
    message = mail.wait_for(to=email, subject="verify")
    links = [link for link in links_in(message.text) if "verify-email" in link]
    assert links, f"the verification email to {email} has no verify-email link:\n{message.text}"
    return links[0]


def magic_link(client: AuthClient, mail: MailpitClient, email: str, mailbox: str | None = None) -> str:
    """Ask for a magic link to ``email`` and return the link from the mail (read from ``mailbox``, else ``email``)."""
    response = client.post("/sign-in/magic-link", {"email": email, "callbackURL": "/"})
    answer = f"{response.status_code} {response.text[:300]}"
    assert response.status_code == 200, f"/sign-in/magic-link for {email!r} answered {answer}"
    message = mail.wait_for(to=mailbox or email, subject="sign in")
    links = [link for link in links_in(message.text) if "magic-link/verify" in link]
    assert links, f"the sign-in mail to {email} holds no magic link:\n{message.text}"
    return links[0]


def magic_sign_in(client: AuthClient, mail: MailpitClient, email: str) -> str:
    """Sign ``client`` in by magic link (creating the user when new); returns the user id."""
    response = client.http.get(magic_link(client, mail, email), follow_redirects=False)
    user_id = ((client.get_session() or {}).get("user") or {}).get("id")
    answer = f"{response.status_code} {response.text[:300]}"
    assert user_id, f"following the magic link for {email} signed nobody in: {answer}"
    return str(user_id)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` when ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout:.0f} s"
        time.sleep(0.2)
