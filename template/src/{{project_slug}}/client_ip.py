"""Request id, client address and the trusted-proxy rule for X-Forwarded-For.

Kernia 0.1.0 keys rate limits on the first X-Forwarded-For entry, so any client can pick its own bucket.
This middleware rewrites the header Kernia sees to exactly one address: the socket peer, or, when
the peer is a TRUSTED_PROXIES member, the right-most X-Forwarded-For hop that is not a trusted proxy.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from . import request_context
from .asgi import ASGIApp, HttpMiddleware, Receive, Scope, Send
from .settings import IPNetwork

REWRITTEN = (b"x-forwarded-for", b"x-real-ip")


def resolve_client_ip(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[IPNetwork]
) -> str | None:
    """Walk X-Forwarded-For right to left past trusted proxies; the first untrusted hop is the client."""
    if peer is None or not _in(peer, trusted):
        return peer
    client = peer
    for hop in reversed([h.strip() for h in (forwarded_for or "").split(",") if h.strip()]):
        if not _valid(hop):
            break
        client = hop
        if not _in(hop, trusted):
            break
    return client


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _in(address: str, networks: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class RequestContextMiddleware(HttpMiddleware):
    """Binds ``request_context`` for every request and echoes ``X-Request-ID``.

    ``trusted_proxies`` returns the networks (read lazily: settings load at startup); ``None`` keeps Kernia's
    own header handling (what ``security.trusted_proxies`` replaces).
    """

    def __init__(self, app: ASGIApp, trusted_proxies: Callable[[], Sequence[IPNetwork]] | None) -> None:
        super().__init__(app)
        self.trusted_proxies = trusted_proxies

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request_id = headers.get(b"x-request-id") or uuid.uuid4().hex
        peer = scope["client"][0] if scope.get("client") else None
        if self.trusted_proxies is None:
            client_ip = peer
        else:
            client_ip = resolve_client_ip(peer, headers.get(b"x-forwarded-for"), self.trusted_proxies())
            kept = [(k, v) for k, v in scope.get("headers", []) if k.lower() not in REWRITTEN]
            if client_ip:
                kept.append((b"x-forwarded-for", client_ip.encode("latin-1")))
            scope = {**scope, "headers": kept}
        request_context.bind(
            request_context.RequestInfo(request_id[:128], client_ip, headers.get(b"user-agent"))
        )

        async def with_request_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"x-request-id", request_id[:128].encode())],
                }
            await send(message)

        await self.app(scope, receive, with_request_id)
