"""The ingress in front of a backend container: a reverse proxy on 127.0.0.1 that appends the caller's address to
X-Forwarded-For, as a deployment's load balancer does.

Why: a request from the host reaches a container through the bridge, so the backend sees every caller as the
bridge's gateway, and per-client rate limits would lump all callers together. The backend trusts X-Forwarded-For
only from TRUSTED_PROXIES (the gateway, where this proxy's requests come from) and takes the right-most hop that
is not a trusted proxy: the address this proxy appended, never one a caller wrote into the header.

Run: ``python -m harness.deploy.ingress --port P --upstream http://CONTAINER_IP:8000`` (binds 127.0.0.1 only).
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx
import uvicorn

from harness.ports import LOCALHOST

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# Hop-by-hop headers (RFC 9110 7.6.1) are the proxy's own; content-length is recomputed for the forwarded body.
HOP_BY_HOP = {
    b"connection",
    b"keep-alive",
    b"proxy-authenticate",
    b"proxy-authorization",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
}
FORWARDED_FOR = b"x-forwarded-for"
REPLACED = {*HOP_BY_HOP, FORWARDED_FOR, b"content-length"}


def forwarded_headers(headers: list[tuple[bytes, bytes]], peer: str) -> list[tuple[bytes, bytes]]:
    """The request's end-to-end headers with ``peer`` appended to X-Forwarded-For (every earlier hop kept)."""
    hops = [value.decode("latin-1") for name, value in headers if name.lower() == FORWARDED_FOR]
    kept = [(name, value) for name, value in headers if name.lower() not in REPLACED]
    return [*kept, (FORWARDED_FOR, ", ".join([*hops, peer]).encode("latin-1"))]


def build_app(upstream: str) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The proxy as an ASGI app: each request forwarded as is, the answer streamed back. It goes straight to the
    transport: a client would keep cookies across callers and follow redirects."""
    # No timeout: the fault phase holds requests on purpose; the caller's own timeout applies.
    transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=None, max_keepalive_connections=64))
    timeouts = {"timeout": httpx.Timeout(None).as_dict()}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while (message := await receive())["type"] == "http.request":
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        target = scope["raw_path"] + (b"?" + scope["query_string"] if scope["query_string"] else b"")
        headers = forwarded_headers(list(scope["headers"]), scope["client"][0])
        url = upstream + target.decode("latin-1")
        request = httpx.Request(scope["method"], url, headers=headers, content=body, extensions=timeouts)
        try:
            response = await transport.handle_async_request(request)
        except httpx.TransportError as exc:
            reason = f"ingress: the backend did not answer ({type(exc).__name__})".encode()
            await send({"type": "http.response.start", "status": 502, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": reason})
            return
        try:
            kept = [(name, value) for name, value in response.headers.raw if name.lower() not in HOP_BY_HOP]
            await send({"type": "http.response.start", "status": response.status_code, "headers": kept})
            async for chunk in response.stream:  # type: ignore[union-attr]
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    # The backend's own answer carries its Date; this proxy adds no Server or Date header of its own.
    uvicorn.run(
        build_app(args.upstream),
        host=LOCALHOST,
        port=args.port,
        lifespan="off",
        proxy_headers=False,
        server_header=False,
        date_header=False,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
