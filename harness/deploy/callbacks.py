"""Step 4: register the backend's auth-mount callback URLs with the stack's providers and check they agree.

Two providers call the backend back: Stripe (webhook endpoint) and the OIDC identity provider (redirect URI).
Both URLs are derived from KERNIA_BASE_URL; the step registers them, then proves the backend really answers
at each (a route that exists and refuses a badly signed or codeless request, rather than a 404).
"""

from __future__ import annotations

import httpx

from harness.deploy.context import Context, StepFailed
from harness.services.oidc import control

SSO_PROVIDER_ID = "harness-oidc"
OIDC_CLIENT_ID = control.CLIENT_ID
STRIPE_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "checkout.session.completed",
)


def callback_urls(auth_base_url: str) -> dict[str, str]:
    """The Stripe webhook and OIDC redirect URLs, both under the auth base URL."""
    return {
        "stripe_webhook": f"{auth_base_url}/stripe/webhook",
        "oidc_redirect": f"{auth_base_url}/sso/oidc/callback/{SSO_PROVIDER_ID}",
    }


def _register_stripe_webhook(ctx: Context, url: str) -> str:
    key = ctx.vault.read()["stripe_secret_key"]
    response = httpx.post(
        f"{ctx.endpoints.stripe_api_base}/v1/webhook_endpoints",
        headers={"Authorization": f"Bearer {key}"},
        data={"url": url, "enabled_events[]": list(STRIPE_EVENTS)},
        timeout=10,
    )
    if response.status_code != 200:
        raise StepFailed(f"Stripe refused the webhook endpoint {url}: {response.status_code} {response.text[:200]}")
    body = response.json()
    if body.get("url") != url:
        # stripe-mock is stateless and answers with a fixture: the call is accepted but nothing is stored.
        return f"stripe webhook endpoint accepted by a stateless Stripe (id {body.get('id')})"
    return f"stripe webhook endpoint {body.get('id')} -> {url}"


def _register_oidc_redirect(ctx: Context, url: str) -> str:
    response = control.register_client(ctx.endpoints.oidc_issuer, [url], timeout=10)
    if response.status_code != 200:
        raise StepFailed(f"the OIDC provider refused redirect URI {url}: {response.status_code} {response.text[:200]}")
    return f"OIDC client {OIDC_CLIENT_ID} redirect -> {url}"


def _backend_answers(urls: dict[str, str]) -> list[str]:
    """Each callback URL must reach a backend route that rejects a bare request, not a 404."""
    problems = []
    # A signature that cannot verify must reach the verifier (400), not the policy gateway's 401 or a 404.
    forged = {"Stripe-Signature": "t=0,v1=00"}
    webhook = httpx.post(urls["stripe_webhook"], content=b"{}", headers=forged, timeout=10)
    if webhook.status_code != 400:
        problems.append(
            f"POST {urls['stripe_webhook']} with a bad signature answered {webhook.status_code}, expected 400"
        )
    redirect = httpx.get(urls["oidc_redirect"], timeout=10, follow_redirects=False)
    if redirect.status_code == 404 or redirect.status_code >= 500:
        problems.append(f"GET {urls['oidc_redirect']} answered {redirect.status_code}: no SSO callback route there")
    return problems


def run(ctx: Context) -> str:
    """Step 4: register both callback URLs, then fail unless they sit under KERNIA_BASE_URL and answer."""
    auth_base = ctx.deployment.deployed().auth_base_url
    urls = callback_urls(auth_base)
    details = [
        _register_stripe_webhook(ctx, urls["stripe_webhook"]),
        _register_oidc_redirect(ctx, urls["oidc_redirect"]),
    ]
    foreign = [url for url in urls.values() if not url.startswith(f"{auth_base}/")]
    if foreign:
        raise StepFailed(f"callback URLs outside KERNIA_BASE_URL {auth_base}: {foreign}")
    problems = _backend_answers(urls)
    if problems:
        raise StepFailed("; ".join(problems))
    ctx.deployment.callbacks = urls
    return "; ".join(details) + f"; both under KERNIA_BASE_URL {auth_base} and answered by the backend"
