"""stripe-mock stand-in: kernia-test-utils' MockStripe served over real HTTP (stateful, unlike stripe-mock).

It answers every call kernia_stripe's StripeClient makes (customers incl. search, checkout sessions,
billing portal sessions, prices, subscriptions, subscription schedules), plus webhook endpoint registration
(``/v1/webhook_endpoints``, which MockStripe lacks) so the deployment can register its callback URL.
Like Stripe, a request without ``Authorization: Bearer sk_...`` gets 401. Harness-only endpoints under
``/_harness``: POST ``/_harness/prices`` seeds a price (MockStripe.add_price arguments as JSON),
GET ``/_harness/events`` lists the calls recorded so far.

Run: ``python -m harness.services.stripe.fake --port P`` (binds 127.0.0.1 only).
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.services import mocks_version
from harness.services.stand_in import address_arguments, forward, mock_stripe, run

_NO_KEY = {
    "error": {
        "message": "You did not provide an API key. Provide it as 'Authorization: Bearer sk_test_...'.",
        "type": "invalid_request_error",
    }
}


def build_app() -> Starlette:
    """The Stripe stand-in's HTTP app: MockStripe plus webhook endpoints and harness hooks."""
    stripe = mock_stripe()
    transport = stripe.mock_transport()

    async def api(request: Request) -> Response:
        """Forward an authenticated Stripe API call to MockStripe; 401 without a secret key."""
        if not request.headers.get("authorization", "").startswith("Bearer sk_"):
            return JSONResponse(_NO_KEY, status_code=401)
        return await forward(request, transport)

    async def add_price(request: Request) -> Response:
        """Seed a price, as a Stripe dashboard would have created it."""
        data = await request.json()
        return JSONResponse(stripe.add_price(data.pop("id"), **data))

    webhook_endpoints: dict[str, dict] = {}

    async def webhook_endpoint(request: Request) -> Response:
        """List or register webhook endpoints, which MockStripe lacks."""
        if not request.headers.get("authorization", "").startswith("Bearer sk_"):
            return JSONResponse(_NO_KEY, status_code=401)
        if request.method == "GET":
            return JSONResponse({"object": "list", "data": list(webhook_endpoints.values()), "has_more": False})
        form = parse_qs((await request.body()).decode())  # Stripe's form encoding; no multipart parser needed
        if not form.get("url"):
            return JSONResponse({"error": {"message": "Missing required param: url."}}, status_code=400)
        endpoint_id = f"we_{secrets.token_hex(12)}"
        webhook_endpoints[endpoint_id] = {
            "id": endpoint_id,
            "object": "webhook_endpoint",
            "url": form["url"][0],
            "enabled_events": form.get("enabled_events[]", []),
            "status": "enabled",
        }
        return JSONResponse(webhook_endpoints[endpoint_id])

    async def events(_request: Request) -> Response:
        """The Stripe calls recorded so far, for checks and readiness."""
        return JSONResponse(stripe.capture_events)

    return Starlette(
        routes=[
            Route("/_harness/prices", add_price, methods=["POST"]),
            Route("/_harness/events", events),
            Route("/v1/webhook_endpoints", webhook_endpoint, methods=["GET", "POST"]),
            Route("/v1/{path:path}", api, methods=["GET", "POST", "DELETE"]),
        ]
    )


if __name__ == "__main__":
    host, port = address_arguments(__doc__.splitlines()[0])
    run(build_app(), port, host=host, stand_in_version=mocks_version())
