"""Unhandled errors: logged with the request id and traceback, answered without internals.

Kernia 0.1.0 catches every exception in its router and answers ``{"code": "INTERNAL", "message": str(exc)}``
(SQL included) without logging. ``log_unhandled_errors`` wraps each registered endpoint handler so the
traceback is logged and the answer is generic; ``InternalErrorScrubber`` rewrites any remaining INTERNAL
answer (errors raised outside handlers, e.g. while resolving the session) at the ASGI boundary.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from kernia.api.router import Router
from kernia.error import APIError
from kernia.types.context import EndpointContext
from kernia.types.endpoint import AuthEndpoint

from . import request_context
from .asgi import HttpMiddleware, Receive, Scope, Send

log = logging.getLogger(__name__)

Handler = Callable[[EndpointContext], Awaitable[Any]]


def error_body() -> dict[str, Any]:
    return {"error": "internal_error", "request_id": request_context.current().request_id}


class InternalError(APIError):
    """The generic 500 answer, rendered by Kernia's router like any APIError."""

    def __init__(self) -> None:
        super().__init__(500, "internal_error")

    def to_dict(self) -> dict[str, object]:
        return error_body()


def _logged(endpoint: AuthEndpoint) -> AuthEndpoint:
    handler: Handler = endpoint.handler

    async def wrapped(ctx: EndpointContext) -> Any:
        try:
            return await handler(ctx)
        except APIError:
            raise
        except Exception:
            log.exception(
                "unhandled error in %s %s (request_id=%s)",
                endpoint.options.method,
                endpoint.path,
                request_context.current().request_id,
            )
            raise InternalError() from None

    return replace(endpoint, handler=wrapped)


def log_unhandled_errors(router: Router) -> None:
    """Wrap every endpoint of a built Kernia router.

    Kernia offers no public way to wrap core routes, so this rewrites the router's route tables
    (``_endpoints``/``_dynamic``) once at startup; kernia is pinned to 0.1.0 and a unit test fails
    if those attributes change shape.
    """
    router._endpoints = {key: _logged(ep) for key, ep in router._endpoints.items()}
    router._dynamic = [(method, parts, _logged(ep)) for method, parts, ep in router._dynamic]


class InternalErrorScrubber(HttpMiddleware):
    """Replace a Kernia ``INTERNAL`` 500 body (which carries ``str(exc)``) with the generic answer."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: dict[str, Any] | None = None

        async def capture(message: dict[str, Any]) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and message["status"] == 500:
                held = message
                return
            if held is not None and message["type"] == "http.response.body":
                await _send_scrubbed(send, held, message.get("body", b""))
                return
            await send(message)

        await self.app(scope, receive, capture)


async def _send_scrubbed(send: Callable[..., Any], start: dict[str, Any], body: bytes) -> None:
    try:
        leaked = json.loads(body).get("message")
    except (ValueError, AttributeError):
        leaked = None
    if leaked is not None:
        log.error(
            "unhandled error inside Kernia (request_id=%s): %s", request_context.current().request_id, leaked
        )
        body = json.dumps(error_body()).encode()
    headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def unhandled_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI routes outside the Kernia mount (admin API, health)."""
    log.error(
        "unhandled error in %s %s (request_id=%s)",
        request.method,
        request.url.path,
        request_context.current().request_id,
        exc_info=exc,
    )
    return JSONResponse(error_body(), status_code=500)
