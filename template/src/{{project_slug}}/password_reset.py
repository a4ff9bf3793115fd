"""Password-reset email for Kernia's core ``/forget-password`` (0.1.0 stores a token but sends nothing).

An after-hook mails the newest reset token as a Better Auth style link ``<auth base>/reset-password/<token>``;
the app route behind that link checks the token and redirects to the frontend form with ``?token=``, which
then POSTs ``<auth base>/reset-password``. Redirects go only to the configured frontend origin.
"""

from __future__ import annotations

import time

from kernia.auth import Kernia
from kernia.types.adapter import Where
from kernia.types.context import EndpointContext
from kernia.types.hooks import AfterHook
from kernia.types.plugin import KerniaPlugin

from .email_links import landing_url
from .emails import EmailDelivery
from .plugin import body_dict, hooks_plugin

RESET_PREFIX = "reset:"


def password_reset_plugin(delivery: EmailDelivery) -> KerniaPlugin:
    async def mail_reset_link(ctx: EndpointContext, result: object) -> None:
        body = body_dict(ctx.body)
        email = str(body.get("email", ""))
        user = await ctx.auth.adapter.find_one(model="user", where=(Where(field="email", value=email),))
        if user is None:
            return
        rows = await ctx.auth.adapter.find_many(
            model="verification", where=(Where(field="identifier", value=f"{RESET_PREFIX}{user['id']}"),)
        )
        if rows:
            newest = max(rows, key=lambda row: int(row["expiresAt"]))
            await delivery.send_password_reset(email, str(newest["value"]), body.get("redirect_to"))

    return hooks_plugin(
        "project-password-reset", after=(AfterHook(match="/forget-password", handler=mail_reset_link),)
    )


def safe_callback(callback_url: str | None, frontend_url: str) -> str:
    """Only the frontend origin is a valid redirect target (no open redirect)."""
    return landing_url(callback_url, frontend_url)


async def reset_redirect_target(
    kernia: Kernia, token: str, callback_url: str | None, frontend_url: str
) -> str:
    target = safe_callback(callback_url, frontend_url)
    row = await kernia.context.adapter.find_one(
        model="verification", where=(Where(field="value", value=token),)
    )
    valid = (
        row is not None
        and str(row["identifier"]).startswith(RESET_PREFIX)
        and int(row["expiresAt"]) >= int(time.time())
    )
    if not valid:  # the frontend explains it and offers a new link
        return landing_url(None, frontend_url, error="INVALID_TOKEN")
    return landing_url(target, frontend_url, token=token)
