"""Stripe webhook ingress: signature failures are counted and audited; replayed events are not applied twice.

Kernia 0.1.0 verifies the signature but keeps no processed-event log, so a captured webhook can be replayed
within the 300 s tolerance. This ASGI guard, in front of ``POST <mount>/stripe/webhook``, verifies first,
then claims the event id in ``stripe_event`` (primary key = atomic claim). A duplicate is answered 200
without reaching Kernia; a claim whose processing fails is released so Stripe's retry can succeed.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from kernia.error import APIError
from kernia_stripe import verify_signature
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from .asgi import ASGIApp, HttpMiddleware, Receive, Scope, Send, StatusRecorder
from .audit import AuditWriter
from .schema import STRIPE_EVENT
from .telemetry import Telemetry

log = logging.getLogger(__name__)

WEBHOOK_ROUTE = "/stripe/webhook"


class StripeEventLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def claim(self, event_id: str, event_type: str) -> bool:
        """True when this call recorded the event first; False for a replay."""
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(STRIPE_EVENT).values(id=event_id, type=event_type, received_at=int(time.time()))
                )
        except IntegrityError:
            return False
        return True

    async def release(self, event_id: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(STRIPE_EVENT).where(STRIPE_EVENT.c.id == event_id))


class StripeWebhookGuard(HttpMiddleware):
    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str,
        webhook_secret: str,
        events: StripeEventLog,
        audit: AuditWriter,
        telemetry: Telemetry,
    ) -> None:
        super().__init__(app)
        self.path = path
        self.webhook_secret = webhook_secret
        self.events = events
        self.audit = audit
        self.telemetry = telemetry

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        replay = _replay_receive(body)
        signature = dict(scope.get("headers", [])).get(b"stripe-signature", b"").decode("latin-1")
        try:
            verify_signature(body, signature, self.webhook_secret)
        except APIError as exc:
            self.telemetry.webhook_signature_failed("stripe")
            await self.audit.record(
                "webhook.signature_failed", metadata={"provider": "stripe", "reason": exc.message}
            )
            await self.app(scope, replay, send)  # Kernia answers 400 INVALID_SIGNATURE
            return
        event_id, event_type = _event_identity(body)
        if event_id is None:
            await self.app(scope, replay, send)
            return
        events = self.events
        if not await events.claim(event_id, event_type):
            log.info("stripe event %s already processed; replay ignored", event_id)
            await self.audit.record(
                "stripe.webhook_replayed", subject_type="stripe_event", subject_id=event_id
            )
            await _send_json(send, 200, {"received": True, "duplicate": True})
            return
        recorder = StatusRecorder(send)
        try:
            await self.app(scope, replay, recorder)
        finally:
            if recorder.status >= 300:
                await events.release(event_id)


def _event_identity(body: bytes) -> tuple[str | None, str]:
    try:
        event = json.loads(body)
    except ValueError:
        return None, ""
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        return None, ""
    return event["id"], str(event.get("type", ""))


async def _read_body(receive: Callable[..., Any]) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay_receive(body: bytes) -> Callable[[], Awaitable[dict[str, Any]]]:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _send_json(send: Callable[..., Any], status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
