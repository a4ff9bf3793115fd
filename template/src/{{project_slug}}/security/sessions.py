"""Session lifetimes: a refresh moves the expiry, and a "don't remember me" session stays short on the server.

Kernia 0.1.0 re-sends the cookie on refresh but never moves ``expiresAt``, and a sign-in with ``rememberMe:
false`` only drops the cookie's Max-Age: the server-side session still lives the full ``expires_in`` (7 days),
so a cookie taken from a shared computer stays valid for a week. Here such a session (marked by Kernia's
``dont_remember`` cookie) lives ``SESSION_UNREMEMBERED_EXPIRES_IN`` and refreshes never extend it past that.
"""

from __future__ import annotations

import time

from kernia.context import should_refresh_session
from kernia.types.adapter import Where
from kernia.types.context import EndpointContext
from kernia.types.cookie import DONT_REMEMBER_COOKIE, SESSION_TOKEN_COOKIE
from kernia.types.hooks import AfterHook
from kernia.types.plugin import KerniaPlugin

from ..plugin import body_dict, hooks_plugin
from .deps import SecurityDeps


def plugin(deps: SecurityDeps) -> KerniaPlugin:
    short = deps.settings.session_unremembered_expires_in

    def lifetime(ctx: EndpointContext) -> int:
        remembered = DONT_REMEMBER_COOKIE not in ctx.request.cookies
        return (
            ctx.auth.options.session.expires_in
            if remembered
            else min(short, ctx.auth.options.session.expires_in)
        )

    async def extend_on_refresh(ctx: EndpointContext, result: object) -> object:
        """Move ``expiresAt`` forward when get-session refreshes the cookie."""
        if ctx.session is None or str(ctx.request.query.get("disableRefresh", "")).lower() in ("1", "true"):
            return None
        if not should_refresh_session(ctx.auth, ctx.session):
            return None
        expires_at = int(time.time()) + lifetime(ctx)
        await ctx.auth.adapter.update(
            model="session",
            where=(Where(field="id", value=ctx.session.id),),
            update={"expiresAt": expires_at},
        )
        if isinstance(result, dict) and isinstance(result.get("session"), dict):
            return {**result, "session": {**result["session"], "expiresAt": expires_at}}
        return None

    async def shorten_unremembered(ctx: EndpointContext, result: object) -> None:
        """After ``/sign-in/email`` with ``rememberMe: false``: the new session lives the short lifetime."""
        if body_dict(ctx.body).get("remember_me", True) is not False:
            return
        tokens = [
            value.rpartition(".")[0] for name, value, _ in ctx.set_cookies if name == SESSION_TOKEN_COOKIE
        ]
        expires_at = int(time.time()) + min(short, ctx.auth.options.session.expires_in)
        for token in filter(None, tokens):
            await ctx.auth.adapter.update(
                model="session", where=(Where(field="token", value=token),), update={"expiresAt": expires_at}
            )

    return hooks_plugin(
        "project-sessions",
        after=(
            AfterHook(match="/get-session", handler=extend_on_refresh),
            AfterHook(match="/sign-in/email", handler=shorten_unremembered),
        ),
    )
