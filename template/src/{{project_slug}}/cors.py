"""CORS with credentials for exactly the configured frontend origin (read at startup, not import)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.middleware.cors import CORSMiddleware

from .asgi import ASGIApp, HttpMiddleware, Receive, Scope, Send


class FrontendCORS(HttpMiddleware):
    def __init__(self, app: ASGIApp, origin: Callable[[], str | None]) -> None:
        super().__init__(app)
        self.origin = origin
        self._cors: CORSMiddleware | None = None

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
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
