"""Pure-ASGI middleware plumbing shared by the app's middlewares.

They are pure ASGI rather than Starlette's ``BaseHTTPMiddleware`` because they wrap Kernia's mounted router as
well as FastAPI's routes, and must pass bodies and responses through untouched.
"""

from __future__ import annotations

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
