"""Billing routes act on the caller's own subscriptions only (outside review N4).

kernia_stripe 0.1.0 lists the subscriptions of whatever ``referenceId`` the query names, and
``/stripe/resume-subscription`` un-cancels any ``subscriptionId`` without an ownership check, putting the id
unchecked into the Stripe URL path. The project's Stripe options enable neither organization billing nor
``authorize_reference``, so a billing reference is always the caller's own user id: any other ``referenceId``
is refused, and a ``subscriptionId`` must be well-formed and name one of the caller's subscriptions. Someone
else's and an unknown id get the same answer, so the refusal tells nothing about other customers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kernia.error import APIError
from kernia.types.adapter import Where
from kernia.types.context import EndpointContext
from kernia.types.hooks import BeforeHook
from kernia.types.plugin import KerniaPlugin

from ..plugin import hooks_plugin
from ..webhooks import WEBHOOK_ROUTE

BILLING_PREFIXES = ("/stripe/", "/subscription/")
SUBSCRIPTION_ID = re.compile(r"sub_[A-Za-z0-9]{1,255}")


def is_billing_route(ctx: EndpointContext) -> bool:
    """Every Stripe route a signed-in user calls (the webhook is Stripe's, verified by its signature)."""
    return ctx.request.path.startswith(BILLING_PREFIXES) and ctx.request.path != WEBHOOK_ROUTE


async def own_billing_only(ctx: EndpointContext) -> None:
    """``referenceId`` and ``subscriptionId``, in the query or the JSON body, must be the caller's own."""
    if ctx.session is None:
        raise APIError(401, "UNAUTHORIZED")
    # The JSON as sent, not the decoded model: a field the route's model drops is refused too, so a route
    # that starts reading it tomorrow is bound already.
    sent = await ctx.request.json() if ctx.body is not None else None
    for given in (ctx.request.query, sent if isinstance(sent, Mapping) else {}):
        reference = given.get("referenceId")
        if reference is not None and reference != ctx.session.user_id:
            raise APIError(
                403, "REFERENCE_ID_NOT_ALLOWED", message="referenceId: billing acts on your own account only."
            )
        subscription = given.get("subscriptionId")
        if subscription is None:
            continue
        if not isinstance(subscription, str) or not SUBSCRIPTION_ID.fullmatch(subscription):
            raise APIError(
                400, "INVALID_SUBSCRIPTION_ID", message="subscriptionId is not a Stripe subscription id."
            )
        row = await ctx.auth.adapter.find_one(
            model="subscription", where=(Where(field="stripeSubscriptionId", value=subscription),)
        )
        if row is None or row.get("referenceId") != ctx.session.user_id:
            raise APIError(
                404, "SUBSCRIPTION_NOT_FOUND", message="subscriptionId: no such subscription of yours."
            )


def plugin() -> KerniaPlugin:
    return hooks_plugin(
        "project-billing", before=(BeforeHook(match=is_billing_route, handler=own_billing_only),)
    )
