"""Who is calling: the credential a request presents, resolved against the database the way Kernia would.

The gateway needs the caller before Kernia runs (Kernia resolves API keys only after its ban check, which is
how a banned user's key kept working), so the lookups are done here once. Which credential counts depends on
the route: machine routes look at the bearer token (operator or SCIM) or the Stripe signature; routes for
people at the session cookie (signed with the current or a grace-period secret), else an ``x-api-key``. A
banned user is recognised as banned whatever credential they present.
"""

from __future__ import annotations

import base64
import hmac
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kernia.cookies import verify
from kernia.types.adapter import Where
from kernia.types.cookie import SESSION_TOKEN_COOKIE
from kernia_api_key import default_key_hasher

from ..roles import is_admin_user

API_KEY_HEADER = "x-api-key"


@dataclass(frozen=True)
class Caller:
    """``kind`` is a key of ``policy.ADMITS``; ``user``/``session`` are the rows behind it, when any."""

    kind: str
    user: Mapping[str, Any] | None = None
    session: Mapping[str, Any] | None = None
    banned: bool = False
    presented: bool = False  # some credential was sent (401 when none, 403 when it is not enough)

    @property
    def user_id(self) -> str | None:
        return str(self.user["id"]) if self.user else None


ANONYMOUS = Caller("anonymous")


def is_banned(user: Mapping[str, Any], now: float | None = None) -> bool:
    """Kernia's admin plugin semantics: ``banned`` until ``banExpires`` (epoch s or ms), if set."""
    if not user.get("banned"):
        return False
    expires = user.get("banExpires")
    if not expires:
        return True
    expires = int(expires)
    expires = expires / 1000 if expires > 10**11 else expires
    return expires > (now or time.time())


@dataclass
class CallerResolver:
    adapter: Callable[[], Any]  # the Kernia adapter (built at startup)
    secrets: Callable[[], Sequence[str]]  # current signing secret first, then grace-period secrets
    operator_token: Callable[[], str | None]

    async def resolve(self, headers: Mapping[str, str], cookies: Mapping[str, str], *, user: bool) -> Caller:
        """The caller by the credential that counts: a bearer token (operator or SCIM) or a Stripe signature
        first, then, when ``user`` is set (routes for people), the session cookie or an ``x-api-key``."""
        bearer = _bearer(headers.get("authorization", ""))
        if bearer is not None:
            expected = self.operator_token()
            if expected and hmac.compare_digest(bearer.encode(), expected.encode()):
                return Caller("operator", presented=True)
            if (
                not user
            ):  # Kernia's SCIM plugin verifies the token; a garbled one would reach SQL and answer 500
                return Caller("scim" if _plausible_scim_token(bearer) else "anonymous", presented=True)
        if headers.get("stripe-signature") and not user:
            return Caller("stripe", presented=True)  # StripeWebhookGuard verifies the signature
        cookie = cookies.get(SESSION_TOKEN_COOKIE)
        if user and cookie:
            caller = await self._from_cookie(cookie)
            if caller is not None:
                return caller
        key = headers.get(API_KEY_HEADER)
        if user and key:
            return await self._from_api_key(key)
        presented = bool(cookie or key or bearer or headers.get("stripe-signature"))
        return Caller("anonymous", presented=presented)

    async def _from_cookie(self, cookie: str) -> Caller | None:
        token = next((t for secret in self.secrets() if (t := verify(cookie, secret=secret))), None)
        if not token:
            return None
        adapter = self.adapter()
        session = await adapter.find_one(model="session", where=(Where(field="token", value=token),))
        if not session or int(session["expiresAt"]) < int(time.time()):
            return None
        return await self._user_caller(session["userId"], session, via_key=False)

    async def _from_api_key(self, key: str) -> Caller:
        row = await self.adapter().find_one(
            model="apikey", where=(Where(field="key", value=default_key_hasher(key)),)
        )
        now_ms = time.time() * 1000
        if (
            not row
            or row.get("enabled") is False
            or (row.get("expiresAt") and int(row["expiresAt"]) < now_ms)
        ):
            return Caller("anonymous", presented=True)
        caller = await self._user_caller(row["referenceId"], None, via_key=True)
        return caller or Caller("anonymous", presented=True)

    async def _user_caller(self, user_id: str, session: Mapping[str, Any] | None, *, via_key: bool) -> Caller:
        user = await self.adapter().find_one(model="user", where=(Where(field="id", value=user_id),))
        if not user:
            return Caller("anonymous", presented=True)
        kind = "api_key" if via_key else "admin" if is_admin_user(user) else "user"
        return Caller(kind, user=user, session=session, banned=is_banned(user), presented=True)

    async def saml_idp_origin(self, provider_id: str) -> str | None:
        """The origin of a SAML provider's IdP (its ``ssoUrl``): the one site that posts to its ACS."""
        row = await self.adapter().find_one(
            model="ssoProvider", where=(Where(field="id", value=provider_id),)
        )
        try:
            config = json.loads((row or {}).get("samlConfig") or "{}")
        except ValueError:
            return None
        sso_url = ((config.get("idp") or {}) if isinstance(config, dict) else {}).get("ssoUrl")
        return origin_of(sso_url) if isinstance(sso_url, str) else None

    async def org_role_rank(
        self, caller: Caller, organization_id: str | None, ranks: Mapping[str, int]
    ) -> int:
        """The caller's highest role rank in the organization (0 when not a member or none is named)."""
        if caller.session is None or caller.user is None:
            return 0
        organization_id = organization_id or caller.session.get("activeOrganizationId")
        if not organization_id:
            return 0
        member = await self.adapter().find_one(
            model="member",
            where=(
                Where(field="organizationId", value=str(organization_id)),
                Where(field="userId", value=caller.user_id),
            ),
        )
        roles = str(member.get("role") or "").split(",") if member else []
        return max((ranks.get(role.strip(), 0) for role in roles), default=0)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}" if parts.scheme and parts.netloc else ""


def _plausible_scim_token(token: str) -> bool:
    """Kernia's SCIM token shape: base64url of ``secret:providerId[:organizationId]``, printable text."""
    try:
        decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return False
    return ":" in decoded and decoded.isprintable()


def _bearer(value: str) -> str | None:
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
