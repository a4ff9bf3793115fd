"""Where a person lands after clicking a link in an email: always the frontend, never an API answer.

Kernia answers ``GET /verify-email`` and ``GET /magic-link/verify`` with JSON (the magic link with a
``Location`` header on a 200, which browsers ignore), so a person who clicks either link would read a JSON
document. ``EmailLinkLanding`` turns those answers into a 302 to the frontend: to the link's ``callbackURL``
(when it is on the frontend's origin) with ``?verified=1`` after a verification, or to the frontend with
``?error=CODE`` when the token is invalid, expired or used. Session cookies the answer sets are kept.
Redirect targets are limited to the frontend origin (``landing_url``): a ``callbackURL`` elsewhere is
replaced by the frontend's own URL.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from .asgi import ASGIApp, HttpMiddleware, Message, Receive, Scope, Send

VERIFY_EMAIL = "/verify-email"
MAGIC_LINK = "/magic-link/verify"
# Error codes the frontend explains in a sentence (frontend/app.js): one per link, whatever Kernia answered.
LINK_ERRORS = {VERIFY_EMAIL: "VERIFICATION_LINK_INVALID", MAGIC_LINK: "MAGIC_LINK_INVALID"}
RATE_LIMITED = "TOO_MANY_REQUESTS"


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def landing_url(callback_url: str | None, frontend_url: str, **params: str) -> str:
    """``callback_url`` when it is on the frontend's origin (or a path on it), else the frontend URL, with
    ``params`` appended to its query. Anything that could leave the origin (``//host``, backslashes, other
    schemes, userinfo) falls back to the frontend URL: no open redirect."""
    frontend = frontend_url.rstrip("/")
    target = frontend
    candidate = (callback_url or "").strip()
    unsafe = "\\" in candidate or any(ord(c) < 0x21 for c in candidate)
    if candidate and not unsafe:
        if candidate.startswith("/") and not candidate.startswith("//"):
            target = frontend + candidate
        elif "@" not in urlsplit(candidate).netloc and _origin(candidate) == _origin(frontend):
            target = candidate
    if not params:
        return target
    separator = "&" if "?" in target else "?"
    return f"{target}{separator}{urlencode(params)}"


class EmailLinkLanding(HttpMiddleware):
    """Answers a click on a verification or magic link with a redirect to the frontend (see the module)."""

    def __init__(self, app: ASGIApp, *, mount_path: str, frontend_url: str) -> None:
        super().__init__(app)
        self.mount_path = mount_path
        self.frontend_url = frontend_url

    def _route(self, scope: Scope) -> str | None:
        path = scope.get("path", "")
        if path.startswith(self.mount_path + "/"):
            path = path[len(self.mount_path) :]
        return path if scope["method"] == "GET" and path in LINK_ERRORS else None

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._route(scope)
        if route is None:
            await self.app(scope, receive, send)
            return
        start: Message = {}
        body = bytearray()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))

        await self.app(scope, receive, capture)
        query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
        location = self._target(route, int(start.get("status", 500)), bytes(body), query)
        cookies = [(k, v) for k, v in start.get("headers", []) if k.lower() == b"set-cookie"]
        headers = [
            (b"location", location.encode("latin-1")),
            (b"cache-control", b"no-store"),
            (b"referrer-policy", b"no-referrer"),  # the token in this URL never leaks to the next page
            (b"content-length", b"0"),
            *cookies,
        ]
        await send({"type": "http.response.start", "status": 302, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    def _target(self, route: str, status: int, body: bytes, query: dict[str, str]) -> str:
        if status == 429:
            return landing_url(None, self.frontend_url, error=RATE_LIMITED)
        if status != 200:
            return landing_url(None, self.frontend_url, error=LINK_ERRORS[route])
        if route == VERIFY_EMAIL:
            return landing_url(query.get("callbackURL"), self.frontend_url, verified="1")
        answer: Any = {}
        with contextlib.suppress(ValueError):
            answer = json.loads(body) if body else {}
        callback = query.get("callbackURL")
        if isinstance(answer, dict) and answer.get("isNewUser") and query.get("newUserCallbackURL"):
            callback = query["newUserCallbackURL"]
        return landing_url(callback, self.frontend_url)
