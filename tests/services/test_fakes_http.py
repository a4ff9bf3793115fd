"""The Stripe and OIDC fakes over real HTTP, driven by the clients Kernia itself uses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from kernia.oauth2 import verify_id_token
from kernia_stripe.client import StripeAPIError, StripeClient

from harness.services import oidc, stripe
from harness.services.launch import Launch

StartFn = Callable[..., Launch]


def test_stripe_fake_answers_kernia_stripe_calls(start_native: StartFn) -> None:
    base = start_native(stripe.SERVICE).endpoints["stripe_api_base"]
    client = StripeClient(api_key="sk_test_harness", base_url=base)

    async def scenario() -> None:
        customer = await client.create_customer(email="ann@example.com", name="Ann", metadata={"userId": "u1"})
        assert customer["id"].startswith("cus_") and customer["metadata"] == {"userId": "u1"}
        assert (await client.get_customer(customer["id"]))["email"] == "ann@example.com"
        found = await client.search_customers(query='metadata["userId"]:"u1"')
        assert [c["id"] for c in found["data"]] == [customer["id"]]
        session = await client.create_checkout_session(
            customer=customer["id"],
            mode="subscription",
            line_items=[{"price": "price_pro", "quantity": 1}],
            success_url="http://127.0.0.1/ok",
            cancel_url="http://127.0.0.1/cancel",
        )
        assert session["line_items"] == [{"price": "price_pro", "quantity": "1"}]
        assert (await client.retrieve_checkout_session(session["id"]))["customer"] == customer["id"]
        assert (await client.get_price("price_pro"))["recurring"]["interval"] == "month"
        portal = await client.create_billing_portal_session(customer=customer["id"], return_url="http://x/")
        assert portal["object"] == "billing_portal.session"
        with pytest.raises(StripeAPIError) as missing:
            await client.get_subscription("sub_missing")
        assert missing.value.status == 404

    asyncio.run(scenario())
    events = httpx.get(f"{base}/_harness/events").json()
    assert [e["type"] for e in events] == [
        "customer.create",
        "checkout.session.create",
        "billing_portal.session.create",
    ]


def test_stripe_fake_registers_webhook_endpoints(start_native: StartFn) -> None:
    base = start_native(stripe.SERVICE).endpoints["stripe_api_base"]
    auth = {"Authorization": "Bearer sk_test_123"}
    url = "http://127.0.0.1:8000/api/auth/stripe/webhook"
    form = {"url": url, "enabled_events[]": ["a", "b"]}
    created = httpx.post(f"{base}/v1/webhook_endpoints", headers=auth, data=form)
    assert created.status_code == 200 and created.json()["url"] == url
    assert created.json()["enabled_events"] == ["a", "b"]
    listed = httpx.get(f"{base}/v1/webhook_endpoints", headers=auth).json()["data"]
    assert [e["id"] for e in listed] == [created.json()["id"]]
    assert httpx.post(f"{base}/v1/webhook_endpoints", data={"url": url}).status_code == 401


def test_stripe_fake_rejects_requests_without_a_secret_key(start_native: StartFn) -> None:
    base = start_native(stripe.SERVICE).endpoints["stripe_api_base"]
    response = httpx.post(f"{base}/v1/customers", data={"email": "x@example.com"})
    assert response.status_code == 401 and response.json()["error"]["type"] == "invalid_request_error"


def test_oidc_fake_serves_discovery_and_a_code_flow(start_native: StartFn) -> None:
    issuer = start_native(oidc.SERVICE).endpoints["oidc_issuer"]
    discovery = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == issuer
    for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert discovery[key].startswith(f"{issuer}/"), key

    queued = httpx.post(f"{issuer}/_harness/next-user", json={"email": "sso@corp.example"})
    assert queued.status_code == 200
    redirect_uri = "http://127.0.0.1:8000/api/auth/sso/oidc/callback/corp"
    params = {
        "client_id": "kernia-app",
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "openid email",
        "state": "st-1",
    }
    unregistered = httpx.get(discovery["authorization_endpoint"], params=params)
    assert unregistered.status_code == 400 and "not registered" in unregistered.text
    client = {"client_id": "kernia-app", "redirect_uris": [redirect_uri]}
    registered = httpx.post(f"{issuer}/_harness/clients", json=client)
    assert registered.status_code == 200
    authorize = httpx.get(discovery["authorization_endpoint"], params=params)
    assert authorize.status_code == 302
    location = urlsplit(authorize.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect_uri
    params = parse_qs(location.query)
    assert params["state"] == ["st-1"]
    form = {
        "grant_type": "authorization_code",
        "code": params["code"][0],
        "redirect_uri": redirect_uri,
        "client_id": "kernia-app",
        "client_secret": "anything",
    }
    tokens = httpx.post(discovery["token_endpoint"], data=form).json()
    claims = asyncio.run(
        verify_id_token(
            id_token=tokens["id_token"], jwks_url=discovery["jwks_uri"], audience="kernia-app", issuer=issuer
        )
    )
    assert claims["email"] == "sso@corp.example" and claims["email_verified"] is True
    userinfo = httpx.get(
        discovery["userinfo_endpoint"], headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).json()
    assert userinfo["email"] == "sso@corp.example"
    replay = httpx.post(discovery["token_endpoint"], data=form)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
