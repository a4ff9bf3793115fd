"""``__Host-`` cookies on https: Kernia names its cookies ``better-auth.*`` with no prefix.

A cookie without the ``__Host-`` prefix can be planted by any sibling subdomain (session fixation, login CSRF
by cookie tossing). Kernia reads and writes fixed names, so this layer renames at the edge: responses'
``better-auth.*`` Set-Cookie headers leave as ``__Host-better-auth.*`` (Secure, Path=/, no Domain), and
requests reach Kernia with only the prefixed cookies, renamed back; unprefixed ``better-auth.*`` cookies a
sibling could have planted are dropped. Over plain http (local development) the layer does nothing: browsers
refuse ``__Host-`` cookies without Secure.
"""

from __future__ import annotations

from collections.abc import Callable

from ..asgi import ASGIApp, HttpMiddleware, Message, Receive, Scope, Send

KERNIA_PREFIX = "better-auth."
HOST_PREFIX = "__Host-"


def inbound(cookie_header: str) -> str:
    """Keep ``__Host-better-auth.*`` cookies (renamed for Kernia) and every non-Kernia cookie."""
    kept = []
    for part in cookie_header.split(";"):
        name, _, value = part.strip().partition("=")
        if name.startswith(HOST_PREFIX + KERNIA_PREFIX):
            kept.append(f"{name[len(HOST_PREFIX) :]}={value}")
        elif name and not name.startswith(KERNIA_PREFIX):
            kept.append(f"{name}={value}")
    return "; ".join(kept)


def outbound(set_cookie: str) -> str:
    """``better-auth.x=v; ...`` -> ``__Host-better-auth.x=v; ...; Secure; Path=/`` without Domain."""
    if not set_cookie.startswith(KERNIA_PREFIX):
        return set_cookie
    first, *attributes = [a.strip() for a in set_cookie.split(";")]
    kept = [a for a in attributes if a.split("=")[0].lower() not in ("domain", "path", "secure")]
    return "; ".join([HOST_PREFIX + first, *kept, "Path=/", "Secure"])


class HostPrefixedCookies(HttpMiddleware):
    def __init__(self, app: ASGIApp, *, secure: Callable[[], bool]) -> None:
        super().__init__(app)
        self.secure = secure

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.secure():
            await self.app(scope, receive, send)
            return
        headers = [
            (k, inbound(v.decode("latin-1")).encode("latin-1")) if k.lower() == b"cookie" else (k, v)
            for k, v in scope.get("headers", [])
        ]

        async def renamed(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [
                        (k, outbound(v.decode("latin-1")).encode("latin-1"))
                        if k.lower() == b"set-cookie"
                        else (k, v)
                        for k, v in message.get("headers", [])
                    ],
                }
            await send(message)

        await self.app({**scope, "headers": headers}, receive, renamed)
