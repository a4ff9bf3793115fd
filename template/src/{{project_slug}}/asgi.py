"""Pure-ASGI middleware plumbing shared by the app's middlewares.

They are pure ASGI rather than Starlette's ``BaseHTTPMiddleware`` because they wrap Kernia's mounted router as
well as FastAPI's routes, and must pass bodies and responses through untouched.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

ASGIApp = Callable[..., Awaitable[None]]
Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[..., Any]
Send = Callable[..., Any]


class HttpMiddleware:
    """Passes lifespan and websocket traffic straight through; subclasses handle HTTP in ``handle``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class StatusRecorder:
    """A ``send`` that forwards every message and remembers the response status (500 until one is sent)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 500

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self._send(message)


class BodyTooLarge(Exception):
    """The request body passed ``limit`` bytes (declared or streamed)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body exceeds {limit} bytes")
        self.limit = limit


async def read_body(receive: Receive, *, limit: int | None = None, declared: str = "") -> bytes:
    """The whole request body; ``BodyTooLarge`` as soon as it (or its Content-Length) passes ``limit``."""
    if limit is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes) -> Callable[[], Awaitable[Message]]:
    """A ``receive`` that hands an already-read body to the next layer once."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def send_json(send: Send, status: int, payload: Any) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
