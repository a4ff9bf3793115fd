"""The Kernia mount: the project's ASGI layers around Kernia's router (the policy gateway sits in front).

Kernia is built at startup (it needs secrets and connections), so ``create_app`` mounts a ``LazyMount``
and the lifespan installs the composed stack built by ``build_auth_app``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kernia.auth import Kernia

from . import security
from .asgi import ASGIApp, HttpMiddleware, Receive, Scope, Send, StatusRecorder, send_json
from .audit import AuditWriter
from .security import SecurityDeps
from .telemetry import Telemetry
from .webhooks import StripeEventLog

SIGN_IN_PREFIX = "/sign-in/"
CALLBACK_PREFIXES = ("/callback/", "/sso/oidc/callback/", "/sso/saml/acs/", "/oauth2/callback/")


class LazyMount:
    """Mounted at import time; forwards to the stack installed at startup (503 before that)."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        if self.app is not None:
            await self.app(scope, receive, send)
            return
        await send_json(send, 503, {"error": "not_ready"})


class StripMountPath:
    """Make ``scope["path"]`` relative to the mount whatever Starlette's Mount left in it."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == self.prefix or path.startswith(self.prefix + "/")):
            scope = {**scope, "path": scope["path"][len(self.prefix) :] or "/"}
        await self.app(scope, receive, send)


class AuthObserver(HttpMiddleware):
    """Route-level signals for each auth request: latency/status, sign-in latency, callback failures, 429s."""

    def __init__(self, app: ASGIApp, *, kernia: Kernia, audit: AuditWriter, telemetry: Telemetry) -> None:
        super().__init__(app)
        self.kernia = kernia
        self.audit = audit
        self.telemetry = telemetry
        self.blocked = security.flood_audit(audit)  # every 429 is counted; audited sampled

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        recorder = StatusRecorder(send)
        try:
            await self.app(scope, receive, recorder)
        finally:
            seconds = time.perf_counter() - started
            await self._observe(scope["method"], scope["path"], recorder.status, seconds)

    async def _observe(self, method: str, path: str, status: int, seconds: float) -> None:
        matched = self.kernia.router.match(method, path)
        route = matched[0].path if matched else "unmatched"
        self.telemetry.auth_request(route, method, status, seconds)
        if route.startswith(SIGN_IN_PREFIX):
            self.telemetry.sign_in(seconds, status < 400)
        if route.startswith(CALLBACK_PREFIXES) and status >= 400:
            self.telemetry.oauth_callback_failed(route)
        if status == 429:
            self.telemetry.rate_limited(route)
            await self.blocked.record(
                "rate_limit.blocked", route=route, metadata={"route": route, "method": method}
            )


def build_auth_app(
    kernia: Kernia, *, mount_path: str, deps: SecurityDeps, stripe_events: StripeEventLog, webhook_secret: str
) -> ASGIApp:
    app = security.mount_layers(
        kernia.router.mount(), deps, stripe_events=stripe_events, webhook_secret=webhook_secret
    )
    app = AuthObserver(app, kernia=kernia, audit=deps.audit, telemetry=deps.telemetry)
    return StripMountPath(app, mount_path)
