"""Sessions: a refresh moves the expiry, a "don't remember me" session stays short, a banned user gets none.

Kernia 0.1.0 re-sends the cookie on refresh but never moves ``expiresAt``, and a sign-in with ``rememberMe:
false`` only drops the cookie's Max-Age: the server-side session still lives the full ``expires_in`` (7 days),
so a cookie taken from a shared computer stays valid for a week. Here such a session lives
``SESSION_UNREMEMBERED_EXPIRES_IN`` from its creation and a refresh never extends it, nor an admin's one-hour
impersonation session: which sessions are capped is read from the session row, never from a request cookie
(a thief sends only the token). And no sign-in route leaves a session for a banned user.
"""

from __future__ import annotations

import time

from kernia.context import revoke_session, should_refresh_session
from kernia.error import APIError
from kernia.types.adapter import Where
from kernia.types.context import EndpointContext, Session
from kernia.types.cookie import SESSION_TOKEN_COOKIE
from kernia.types.hooks import AfterHook
from kernia.types.plugin import KerniaPlugin

from ..plugin import body_dict, hooks_plugin
from .callers import is_banned
from .deps import SecurityDeps

# Every route that can end in a new session besides /sign-in/email (where Kernia checks bans itself).
SIGN_IN_ROUTES = (
    "/magic-link/verify",
    "/email-otp/verify",
    "/sign-in/email-otp",
    "/verify-email",
    "/callback/",
    "/sso/oidc/callback/",
    "/sso/saml/acs/",
    "/sign-in/phone-number",
    "/phone-number/verify",
)


def plugin(deps: SecurityDeps) -> KerniaPlugin:
    short = deps.settings.session_unremembered_expires_in

    async def capped(ctx: EndpointContext, session: Session) -> bool:
        """An impersonation session, or one created short ("don't remember me": its whole life from
        ``createdAt`` fits in the short lifetime, which no refresh changes since none extends it)."""
        if session.impersonated_by:
            return True
        if short >= ctx.auth.options.session.expires_in:
            return False
        row = await ctx.auth.adapter.find_one(model="session", where=(Where(field="id", value=session.id),))
        return session.expires_at - int((row or {}).get("createdAt") or 0) <= short

    async def extend_on_refresh(ctx: EndpointContext, result: object) -> object:
        """Move ``expiresAt`` forward when get-session refreshes the cookie, except for a capped session."""
        if ctx.session is None or str(ctx.request.query.get("disableRefresh", "")).lower() in ("1", "true"):
            return None
        if not should_refresh_session(ctx.auth, ctx.session) or await capped(ctx, ctx.session):
            return None
        expires_at = int(time.time()) + ctx.auth.options.session.expires_in
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
        lifetime = min(short, ctx.auth.options.session.expires_in)
        for token in filter(None, tokens):
            where = (Where(field="token", value=token),)
            row = await ctx.auth.adapter.find_one(model="session", where=where)
            # From the row's own createdAt, not the clock now: a second boundary crossed since its creation
            # made it one second longer than ``short`` and ``capped`` then let a refresh extend it to 7 days.
            created = int((row or {}).get("createdAt") or time.time())
            await ctx.auth.adapter.update(
                model="session", where=where, update={"expiresAt": created + lifetime}
            )

    async def refuse_banned(ctx: EndpointContext, result: object) -> None:
        """Kernia checks bans on ``/sign-in/email`` only: a magic link, an OTP or an identity provider still
        signed a banned user in. Any sign-in route: the session just made for a banned user is revoked."""
        tokens = [v.rpartition(".")[0] for n, v, _ in ctx.set_cookies if n == SESSION_TOKEN_COOKIE and v]
        for token in tokens:
            session = await ctx.auth.adapter.find_one(
                model="session", where=(Where(field="token", value=token),)
            )
            if session is None:
                continue
            where = (Where(field="id", value=session["userId"]),)
            user = await ctx.auth.adapter.find_one(model="user", where=where)
            if user is not None and is_banned(user):
                ctx.set_cookies.clear()
                ctx.set_cookies.extend(await revoke_session(ctx.auth, token=token))
                raise APIError(403, "USER_BANNED", message="This account is banned.")

    return hooks_plugin(
        "project-sessions",
        after=(
            AfterHook(match="/get-session", handler=extend_on_refresh),
            AfterHook(match="/sign-in/email", handler=shorten_unremembered),
            AfterHook(match=lambda ctx: ctx.request.path.startswith(SIGN_IN_ROUTES), handler=refuse_banned),
        ),
    )
