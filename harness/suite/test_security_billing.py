"""Step 6, intrusion: billing routes act on the caller's own subscriptions only (outside review N4).

kernia_stripe lists the subscriptions of any ``referenceId`` and resumes any ``subscriptionId``. Every billing
route the backend serves (from ``/internal/routes``, so a route kernia_stripe adds is probed too) is called by
another user naming the victim's user id, then the victim's subscription id: each must be refused, with the
same answer as for ids that exist nowhere (no oracle), and never with the victim's data or a 5xx. Positive
control: the victim reads and resumes their own subscription.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from harness import authz
from harness.actions import PRICE_ID, deliver_stripe_event, expect, list_subscriptions
from harness.client import Account, AuthClient
from harness.deploy.context import Context
from harness.services.stripe.events import signature_header, subscription_event

from .flows import ClientFactory

pytestmark = pytest.mark.intrusion

BILLING = ("/stripe/", "/subscription/")
# Enough for every billing body to decode, so a refusal is the ownership rule and not a missing field.
BODY = {"plan": "pro", "successUrl": "/", "cancelUrl": "/", "returnUrl": "/", "disableRedirect": True}


@pytest.fixture
def victim(signed_in: tuple[AuthClient, Account], ctx: Context, backend_secrets: dict[str, str]) -> tuple[str, str]:
    """The signed-in user's id and an active subscription of theirs, in Stripe and applied by its webhook."""
    client, _ = signed_in
    session = client.get_session()
    assert session is not None
    customer = session["user"]["stripeCustomerId"]
    stripe_key = {"Authorization": f"Bearer {backend_secrets['stripe_secret_key']}"}
    created = httpx.post(
        f"{ctx.endpoints.stripe_api_base}/v1/subscriptions", data={"customer": customer}, headers=stripe_key
    )
    subscription_id = expect(created, "a subscription in the Stripe stand-in")["id"]
    body = subscription_event(
        "customer.subscription.created", customer=customer, subscription_id=subscription_id, price_id=PRICE_ID
    )
    expect(
        deliver_stripe_event(client, body, signature_header(body, backend_secrets["stripe_webhook_secret"])), "webhook"
    )
    assert any(row.get("stripeSubscriptionId") == subscription_id for row in list_subscriptions(client))
    return str(session["user"]["id"]), subscription_id


def call(client: AuthClient, url: str, route: authz.RoutePolicy, field: str, value: str) -> httpx.Response:
    """``route`` (served under ``url``) with ``field`` naming ``value``: in a GET's query, else in the JSON body."""
    url += route.path
    if route.method == "GET":
        return client.http.get(url, params={field: value})
    return client.http.request(route.method, url, json={**BODY, field: value})


def answer(response: httpx.Response) -> tuple[int, Any]:
    code = response.json().get("code") if "json" in response.headers.get("content-type", "") else None
    return response.status_code, code


def test_billing_routes_refuse_another_users_reference_and_subscription(
    new_client: ClientFactory,
    verified_account: Any,
    signed_in: tuple[AuthClient, Account],
    victim: tuple[str, str],
    backend_url: str,
    backend_secrets: dict[str, str],
) -> None:
    owner, _ = signed_in
    user_id, subscription_id = victim
    routes = [
        route
        for route in authz.served_routes(backend_url, backend_secrets["ops_token"])
        if route.access == "USER" and any(part in route.path for part in BILLING)
    ]
    assert len(routes) >= 8, f"the backend serves only {len(routes)} billing routes: {routes}"
    mallory = new_client()
    expect(mallory.sign_in(verified_account("mallory")), "sign-in of another user")
    unknown = {"referenceId": uuid.uuid4().hex[:22], "subscriptionId": f"sub_{uuid.uuid4().hex}"}
    failures = []
    for route in routes:
        for field, value in (("referenceId", user_id), ("subscriptionId", subscription_id)):
            response = call(mallory, backend_url, route, field, value)
            if not 400 <= response.status_code < 500 or subscription_id in response.text:
                failures.append(f"{route.method} {route.path} {field}: {response.status_code} {response.text[:200]}")
            elif answer(response) != answer(call(mallory, backend_url, route, field, unknown[field])):
                failures.append(f"{route.method} {route.path} {field}: answers differently for an id that exists")
    resume = next(route for route in routes if route.path.endswith("/stripe/resume-subscription"))
    bogus = call(mallory, backend_url, resume, "subscriptionId", "sub_x/../../v1/customers")
    if bogus.status_code != 400:
        failures.append(f"a malformed subscriptionId answered {bogus.status_code}, not 400")
    assert not failures, "another user's billing ids were accepted:\n" + "\n".join(failures)
    # Positive control: the owner still reads and resumes their own subscription.
    own = expect(owner.get("/subscription/list", params={"referenceId": user_id}), "the owner's subscription list")
    assert any(row.get("stripeSubscriptionId") == subscription_id for row in own), f"owner's list: {own}"
    expect(owner.post("/stripe/resume-subscription", {"subscriptionId": subscription_id}), "the owner's resume")
