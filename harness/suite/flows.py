"""What the suite's check modules share besides fixtures: they import it from here, never from conftest.py
(the API actions live in harness.actions)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from harness.actions import emailed_link, session_user_id
from harness.client import AuthClient
from harness.report import SECONDS_PROPERTY, Outcome
from harness.services.mail.client import MailpitClient

ClientFactory = Callable[..., AuthClient]  # the ``new_client`` fixture: a fresh AuthClient, closed after the test


def report_drill_check(request: pytest.FixtureRequest, result: Outcome) -> None:
    """Report one drill check with its share of the drill's time, and fail with the drill's own evidence (without
    a traceback, that evidence is what the report shows)."""
    request.node.user_properties.append((SECONDS_PROPERTY, result.seconds))
    if result.status != "passed":
        pytest.fail(f"{result.name}: {result.detail}", pytrace=False)


def magic_link(client: AuthClient, mail: MailpitClient, email: str, mailbox: str | None = None) -> str:
    """Ask for a magic link to ``email`` and return the link from the mail (read from ``mailbox``, else ``email``:
    another spelling of the address reaches the same mailbox)."""
    response = client.post("/sign-in/magic-link", {"email": email, "callbackURL": "/"})
    assert response.status_code == 200, (
        f"/sign-in/magic-link for {email!r} answered {response.status_code} {response.text[:300]}"
    )
    return emailed_link(mail, mailbox or email, "sign in", "magic-link/verify")


def magic_link_sign_in(client: AuthClient, mail: MailpitClient, email: str) -> str:
    """Sign ``client`` in by magic link (creating the user when new): the way a check gets a session of its own
    without a password. Returns the user id; the session cookie is in ``client``."""
    response = client.http.get(magic_link(client, mail, email), follow_redirects=False)
    answer = f"{response.status_code} {response.text[:300]}"
    assert client.session_cookie, f"following the magic link for {email} set no session cookie: {answer}"
    user_id = session_user_id(client)
    assert user_id, f"following the magic link for {email} signed nobody in: {answer}"
    return user_id


def scrape_metrics(url: str, headers: Mapping[str, str] | None = None) -> list[Sample] | None:
    """Every sample a Prometheus endpoint serves; None when it answers 404 (a project rendered without metrics)."""
    response = httpx.get(url, headers=headers, timeout=10)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return [sample for family in text_string_to_metric_families(response.text) for sample in family.samples]


def metric_total(samples: Iterable[Sample], name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels`` (0 before the first one is recorded)."""
    return sum(
        sample.value
        for sample in samples
        if sample.name == name and all(sample.labels.get(key) == value for key, value in labels.items())
    )


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` when ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout:.0f} s"
        time.sleep(0.2)
