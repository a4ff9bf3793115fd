"""Audit log: redacted security and admin events stored in ``audit_event``."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from . import request_context
from .request_connection import connection_for
from .schema import AUDIT_EVENT

log = logging.getLogger(__name__)

REDACTED = "[redacted]"
# Keys whose values must never be stored: OAuth/SMTP/Stripe secrets, SCIM/session/reset tokens, OTPs,
# API key plaintext, passwords, signatures, cookies.
_SENSITIVE_KEY = re.compile(
    r"pass(word)?|secret|token|otp|^code$|(^|_|[a-z])key$|authorization|cookie|credential|signature|hash",
    re.IGNORECASE,
)

AuditFanout = Callable[[dict[str, Any]], Awaitable[None]]


def redact(value: Any) -> Any:
    """Copy ``value`` with every sensitive key's value replaced by ``REDACTED`` (recursively)."""
    if isinstance(value, Mapping):
        return {str(k): REDACTED if _SENSITIVE_KEY.search(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class AuditWriter:
    """Writes audit events; a failed write is logged, never turned into a failed user request."""

    def __init__(self, engine: AsyncEngine, fanout: AuditFanout | None = None) -> None:
        self._engine = engine
        self._fanout = fanout

    async def record(
        self,
        event: str,
        *,
        actor_id: str | None = None,
        subject_type: str | None = None,
        subject_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        info = request_context.current()
        row = {
            "id": str(uuid.uuid4()),
            "actor_id": actor_id,
            "event": event,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "request_id": info.request_id,
            "ip_address": info.ip_address,
            "user_agent": info.user_agent,
            "metadata": redact(dict(metadata or {})),
            "created_at": int(time.time() * 1000),
        }
        try:
            async with connection_for(self._engine) as conn:
                await conn.execute(insert(AUDIT_EVENT).values(**row))
            if self._fanout is not None:
                await self._fanout(row)
        except Exception:
            log.exception("audit event %s could not be recorded (request_id=%s)", event, info.request_id)

    async def list(
        self, *, event: str | None = None, actor: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        stmt = select(AUDIT_EVENT).order_by(AUDIT_EVENT.c.created_at.desc()).limit(limit)
        if event:
            stmt = stmt.where(AUDIT_EVENT.c.event == event)
        if actor:
            stmt = stmt.where(AUDIT_EVENT.c.actor_id == actor)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        return [dict(row) for row in rows]
