"""Step 6, webhooks: a signed Stripe event is applied; missing, wrong and stale signatures are refused; a replayed
event is not applied twice."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from harness.actions import PRICE_ID
from harness.actions import deliver_stripe_event as deliver
from harness.actions import list_subscriptions as subscriptions
from harness.client import Account, AuthClient
from harness.services.stripe.events import signature_header, subscription_event


@pytest.fixture
def customer(signed_in: tuple[AuthClient, Account]) -> tuple[AuthClient, str]:
    """A signed-in client and the Stripe customer its sign-up created."""
    client, _ = signed_in
    session = client.get_session()
    assert session is not None
    customer_id = session["user"].get("stripeCustomerId")
    assert customer_id, f"sign-up created no Stripe customer for the user: {session['user']}"
    return client, customer_id


def status_of(client: AuthClient, subscription_id: str) -> str | None:
    for row in subscriptions(client):
        if row.get("stripeSubscriptionId") == subscription_id:
            return row.get("status")
    return None


def test_signed_event_is_accepted_and_applied(customer: tuple[AuthClient, str], backend_secrets: dict) -> None:
    client, customer_id = customer
    sub_id = f"sub_{uuid.uuid4().hex[:14]}"
    body = subscription_event(
        "customer.subscription.created", customer=customer_id, subscription_id=sub_id, price_id=PRICE_ID
    )
    response = deliver(client, body, signature_header(body, backend_secrets["stripe_webhook_secret"]))
    assert response.status_code == 200, f"a correctly signed event was refused: {response.status_code} {response.text}"
    assert status_of(client, sub_id) == "active", f"the event was accepted but not applied: {subscriptions(client)}"


@pytest.mark.parametrize("case", ["missing", "wrong-secret", "stale"])
def test_bad_signatures_are_refused_and_not_applied(
    customer: tuple[AuthClient, str], backend_secrets: dict, case: str
) -> None:
    client, customer_id = customer
    sub_id = f"sub_{uuid.uuid4().hex[:14]}"
    body = subscription_event(
        "customer.subscription.created", customer=customer_id, subscription_id=sub_id, price_id=PRICE_ID
    )
    secret = backend_secrets["stripe_webhook_secret"]
    signature = {
        "missing": None,
        "wrong-secret": signature_header(body, "whsec_not_the_endpoint_secret"),
        "stale": signature_header(body, secret, timestamp=int(time.time()) - 3600),
    }[case]
    response = deliver(client, body, signature)
    # No signature: refused by the policy gateway (401, or 403 beside a session cookie); a bad one: by the verifier.
    expected = (401, 403) if case == "missing" else (400,)
    assert response.status_code in expected, f"{case} signature answered {response.status_code}: {response.text}"
    assert status_of(client, sub_id) is None, f"an event with a {case} signature was applied"


def test_replayed_event_is_not_applied_twice(customer: tuple[AuthClient, str], backend_secrets: dict) -> None:
    client, customer_id = customer
    secret = backend_secrets["stripe_webhook_secret"]
    sub_id = f"sub_{uuid.uuid4().hex[:14]}"

    def send(event_type: str, status: str, event_id: str) -> httpx.Response:
        body = subscription_event(
            event_type,
            customer=customer_id,
            subscription_id=sub_id,
            price_id=PRICE_ID,
            status=status,
            event_id=event_id,
        )
        return deliver(client, body, signature_header(body, secret))

    assert send("customer.subscription.created", "active", f"evt_{uuid.uuid4().hex}").status_code == 200
    # /subscription/list shows active and trialing subscriptions only, so the states alternate between those two.
    trialing = f"evt_{uuid.uuid4().hex}"
    assert send("customer.subscription.updated", "trialing", trialing).status_code == 200
    assert status_of(client, sub_id) == "trialing"
    assert send("customer.subscription.updated", "active", f"evt_{uuid.uuid4().hex}").status_code == 200
    assert status_of(client, sub_id) == "active"
    replay = send("customer.subscription.updated", "trialing", trialing)
    assert replay.status_code == 200, f"a replay should be acknowledged, got {replay.status_code}"
    assert status_of(client, sub_id) == "active", "a replayed event was applied a second time"
