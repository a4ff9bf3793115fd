"""Endpoint hooks closing Kernia 0.1.0's defects in API-key minting and OIDC sign-in.

Each hook is small and named after the defect it closes. (Kernia's server-only OTP helpers are closed by the
policy table, not here.)
"""

from __future__ import annotations

import hashlib
import hmac
import time
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qs, urlsplit

from kernia.api.request import RedirectResponse
from kernia.context import SESSION_TOKEN_COOKIE, revoke_session
from kernia.error import APIError
from kernia.types.adapter import Where
from kernia.types.context import EndpointContext
from kernia.types.cookie import CookieAttributes
from kernia.types.hooks import AfterHook, BeforeHook
from kernia.types.plugin import KerniaPlugin

from ..plugin import hooks_plugin

SSO_SIGN_IN = "/sso/oidc/sign-in/*"
SSO_CALLBACK = "/sso/oidc/callback/*"
SSO_STATE_COOKIE = "sso_oidc_state"
SSO_STATE_SECONDS = 600  # as long as Kernia keeps the state row

_callback_started: ContextVar[int] = ContextVar("sso_callback_started", default=0)


async def api_key_only_for_own_session(ctx: EndpointContext) -> None:
    """API keys are minted for the caller's own session user only; a ``userId`` naming anyone else is refused.

    Admins included: minting a credential that authenticates as another person would let an admin act as that
    user without trace; admins use impersonation (audited) instead.
    """
    if ctx.session is None:
        raise APIError(401, "UNAUTHORIZED")
    user_id = getattr(ctx.body, "user_id", None)
    if user_id is not None and user_id != ctx.session.user_id:
        raise APIError(403, "FORBIDDEN", message="API keys can only be created for your own account.")


def _state_digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


async def bind_oidc_state(ctx: EndpointContext, result: object) -> None:
    """N6: the OIDC ``state`` belongs to the browser that started the sign-in.

    Kernia keeps it only in the verification table, so the callback URL an attacker stops at (their own code,
    their own state) signs in whoever opens it, into the attacker's account. A digest of the state goes into
    an HttpOnly cookie here; the callback must present it (``oidc_callback_from_its_browser``).
    """
    if not isinstance(result, RedirectResponse):
        return
    state = parse_qs(urlsplit(result.location).query).get("state", [""])[0]
    if state:
        attrs = CookieAttributes(
            max_age=SSO_STATE_SECONDS, secure=ctx.auth.base_url.startswith("https"), same_site="lax"
        )
        ctx.set_cookies.append((SSO_STATE_COOKIE, _state_digest(state), attrs))


async def oidc_callback_from_its_browser(ctx: EndpointContext) -> None:
    state = ctx.request.query.get("state")
    state = state[0] if isinstance(state, list) and state else state
    bound = ctx.request.cookies.get(SSO_STATE_COOKIE)
    if not isinstance(state, str) or not bound or not hmac.compare_digest(bound, _state_digest(state)):
        raise APIError(  # 400 like Kernia's own SSO_OIDC_STATE_INVALID: the request, not the caller, is wrong
            400,
            "SSO_STATE_MISMATCH",
            message="This sign-in was not started in this browser: start it again from the sign-in page.",
        )


async def mark_sso_callback_start(ctx: EndpointContext) -> None:
    _callback_started.set(int(time.time()))


async def sso_email_in_verified_domain(ctx: EndpointContext, result: object) -> object:
    """Refuse an OIDC sign-in whose email is outside the provider's *verified* ``ssoDomain`` rows.

    Kernia signs the user in inside the handler, so this after-hook undoes it: it revokes the session just
    created, drops a user row created by this very callback, and answers 403. It also strips the provider's
    OIDC/SAML config (client secret) from the response.
    """
    if not isinstance(result, dict):
        return None
    provider_id = ctx.path_params.get("provider_id", "")
    email = str((result.get("user") or {}).get("email", ""))
    rows = await ctx.auth.adapter.find_many(
        model="ssoDomain",
        where=(Where(field="ssoProviderId", value=provider_id), Where(field="verified", value=True)),
    )
    if email.rpartition("@")[2].lower() in {str(row["domain"]).lower() for row in rows}:
        provider = dict(result.get("provider") or {})
        provider.pop("oidcConfig", None)
        provider.pop("samlConfig", None)
        return {**result, "provider": provider}
    await _undo_sign_in(ctx, result.get("user") or {})
    raise APIError(403, "SSO_DOMAIN_NOT_VERIFIED", message="Email domain is not verified for this provider.")


async def _undo_sign_in(ctx: EndpointContext, user: dict[str, Any]) -> None:
    signed = [value for name, value, _ in ctx.set_cookies if name == SESSION_TOKEN_COOKIE and value]
    ctx.set_cookies.clear()
    for value in signed:
        ctx.set_cookies.extend(await revoke_session(ctx.auth, token=value.rpartition(".")[0]))
    created = int(user.get("createdAt") or 0)
    if user.get("id") and created >= _callback_started.get():
        await ctx.auth.adapter.delete_many(model="user", where=(Where(field="id", value=user["id"]),))


def plugin() -> KerniaPlugin:
    return hooks_plugin(
        "project-hardening",
        before=(
            BeforeHook(match="/api-key/create", handler=api_key_only_for_own_session),
            BeforeHook(match=SSO_CALLBACK, handler=oidc_callback_from_its_browser),
            BeforeHook(match=SSO_CALLBACK, handler=mark_sso_callback_start),
        ),
        after=(
            AfterHook(match=SSO_SIGN_IN, handler=bind_oidc_state),
            AfterHook(match=SSO_CALLBACK, handler=sso_email_in_verified_domain),
        ),
    )
