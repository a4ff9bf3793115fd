"""Stripe webhook ingress: bad signatures are counted, audited sampled; replays are not applied twice.

Kernia 0.1.0 verifies the signature but keeps no processed-event log, so a captured webhook can be replayed
within the 300 s tolerance, and lets a malformed signature header escape as a 500. This ASGI guard, in front
of ``POST <mount>/stripe/webhook``, verifies first (any failure is a 400 and a counted signature failure),
then claims the event id in ``stripe_event`` (primary key = atomic claim). A duplicate is answered 200
without reaching Kernia; a claim whose processing fails is released so Stripe's retry can succeed.
"""

from __future__ import annotations

import json
import logging
import time

from kernia.error import APIError
from kernia_stripe import verify_signature
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from .asgi import ASGIApp, HttpMiddleware, Receive, Scope, Send, StatusRecorder, read_body, replay, send_json
from .audit import AuditWriter
from .audit_sampling import SampledAudit
from .request_connection import connection_for
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
            async with connection_for(self._engine) as conn:
                await conn.execute(
                    insert(STRIPE_EVENT).values(id=event_id, type=event_type, received_at=int(time.time()))
                )
        except IntegrityError:
            return False
        return True

    async def release(self, event_id: str) -> None:
        async with connection_for(self._engine) as conn:
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
        self.failures = SampledAudit(audit)  # anyone can send junk: one row a minute per client, not one each

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        again = replay(body)
        signature = dict(scope.get("headers", [])).get(b"stripe-signature", b"").decode("latin-1")
        try:
            verify_signature(body, signature, self.webhook_secret)
        except Exception as exc:  # APIError, or what 0.1.0 lets escape (e.g. a non-ASCII timestamp)
            reason = exc.message if isinstance(exc, APIError) else "malformed Stripe-Signature header"
            self.telemetry.webhook_signature_failed("stripe")
            await self.failures.record(
                "webhook.signature_failed", route=self.path, metadata={"provider": "stripe", "reason": reason}
            )
            await send_json(
                send, 400, {"code": "INVALID_SIGNATURE", "message": f"Stripe signature refused: {reason}."}
            )
            return
        event_id, event_type = _event_identity(body)
        if event_id is None:
            await self.app(scope, again, send)
            return
        events = self.events
        if not await events.claim(event_id, event_type):
            log.info("stripe event %s already processed; replay ignored", event_id)
            await self.audit.record(
                "stripe.webhook_replayed", subject_type="stripe_event", subject_id=event_id
            )
            await send_json(send, 200, {"received": True, "duplicate": True})
            return
        recorder = StatusRecorder(send)
        try:
            await self.app(scope, again, recorder)
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
