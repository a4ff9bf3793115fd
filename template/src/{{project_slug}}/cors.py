"""CORS with credentials for exactly the configured frontend origin (read at startup, not import)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.middleware.cors import CORSMiddleware

ASGIApp = Callable[..., Awaitable[None]]


class FrontendCORS:
    def __init__(self, app: ASGIApp, origin: Callable[[], str | None]) -> None:
        self.app = app
        self.origin = origin
        self._cors: CORSMiddleware | None = None

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._cors is None:
            origin = self.origin()
            if origin is None:
                await self.app(scope, receive, send)
                return
            self._cors = CORSMiddleware(
                self.app,
                allow_origins=[origin],
                allow_credentials=True,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["content-type", "x-request-id"],
                expose_headers=["x-request-id"],
            )
        await self._cors(scope, receive, send)
