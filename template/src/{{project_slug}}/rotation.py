"""Session-cookie secret rotation with a grace period.

Kernia verifies ``better-auth.session_token=<token>.<hmac>`` against one secret (``kernia.cookies.verify``,
called from ``kernia.api.router._attach_session`` and ``kernia.integrations.session.resolve_session``) and
crashes when given a list. This ASGI shim sits in front of the Kernia mount and the app's own routes: a
cookie that fails the current secret but verifies with a *previous* secret (Vault's previous
``kernia_secret`` version, while it still exists) is re-signed with the current secret before Kernia sees
it, and the response re-issues the cookie so the browser migrates. Only the cookie HMAC changes: the
session token, argon2 password hashes, SHA-256 API-key hashes and hashed SCIM tokens never involve the
secret. Once the old version is deleted/destroyed in Vault and the backend restarts, the shim has no
previous secret and old cookies stop verifying.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from kernia.context import SESSION_TOKEN_COOKIE, session_token_cookie
from kernia.cookies import parse_cookie_header, render_set_cookie, sign, verify
from kernia.types.context import AuthContext

ASGIApp = Callable[..., Awaitable[None]]


def resign_with_current(signed: str, current: str, previous: Sequence[str]) -> str | None:
    """The cookie value re-signed with ``current`` when only a previous secret verifies it, else ``None``."""
    if verify(signed, current) is not None:
        return None
    for secret in previous:
        token = verify(signed, secret)
        if token is not None:
            return sign(token, current)
    return None


def _replace_cookie(headers: list[tuple[bytes, bytes]], value: str) -> list[tuple[bytes, bytes]]:
    out: list[tuple[bytes, bytes]] = []
    for key, raw in headers:
        if key.lower() == b"cookie":
            cookies = dict(parse_cookie_header(raw.decode("latin-1")))
            cookies[SESSION_TOKEN_COOKIE] = value
            raw = "; ".join(f"{k}={v}" for k, v in cookies.items()).encode("latin-1")
        out.append((key, raw))
    return out


class CookieRotationShim:
    """Accept session cookies signed with a previous secret during the grace period."""

    def __init__(
        self, app: ASGIApp, auth_context: Callable[[], AuthContext], previous: Callable[[], Sequence[str]]
    ) -> None:
        self.app = app
        self.auth_context = auth_context
        self.previous = previous

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        previous = self.previous() if scope["type"] == "http" else ()
        cookie = _session_cookie(scope) if previous else None
        auth = self.auth_context() if cookie else None
        resigned = resign_with_current(cookie, auth.secret, previous) if cookie and auth else None
        if resigned is None or auth is None:
            await self.app(scope, receive, send)
            return
        scope = {**scope, "headers": _replace_cookie(scope["headers"], resigned)}
        name, value, attrs = session_token_cookie(auth, resigned)
        reissue = (b"set-cookie", render_set_cookie(name, value, attrs).encode("latin-1"))

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                sets_session = any(
                    k.lower() == b"set-cookie" and v.startswith(f"{SESSION_TOKEN_COOKIE}=".encode())
                    for k, v in headers
                )
                if not sets_session:
                    headers.append(reissue)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _session_cookie(scope: dict[str, Any]) -> str | None:
    for key, raw in scope.get("headers", []):
        if key.lower() == b"cookie":
            value = parse_cookie_header(raw.decode("latin-1")).get(SESSION_TOKEN_COOKIE)
            if value:
                return value
    return None
