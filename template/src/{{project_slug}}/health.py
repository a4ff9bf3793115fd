"""Liveness and readiness.

``/healthz`` answers while the process runs (no dependencies). ``/readyz`` answers 200 only when the database
and Redis answer and the database schema is at the migration head shipped with this code.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from .database import database_revision


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail}


class MigrationMismatch(Exception):
    """The database is not at the code's migration head (the message names both revisions)."""


async def _guard(name: str, probe: Callable[[], Awaitable[str]]) -> Check:
    """Run a probe; failures report the exception type only (no hosts, no credentials)."""
    try:
        return Check(name, True, await probe())
    except MigrationMismatch as exc:
        return Check(name, False, str(exc))
    except Exception as exc:
        return Check(name, False, type(exc).__name__)


async def check_database(engine: AsyncEngine) -> Check:
    async def probe() -> str:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return "reachable"

    return await _guard("database", probe)


async def check_redis(redis: Any | None, observe: Callable[[float], None] | None = None) -> Check:
    if redis is None:
        return Check("redis", True, "not configured (in-process rate limits)")

    async def probe() -> str:
        started = time.perf_counter()
        await redis.ping()
        if observe is not None:
            observe(time.perf_counter() - started)
        return "reachable"

    return await _guard("redis", probe)


async def check_migrations(engine: AsyncEngine, head: str | None) -> Check:
    async def probe() -> str:
        current = await database_revision(engine)
        if current != head:
            raise MigrationMismatch(f"database at {current}, code expects {head}")
        return f"at head {head}"

    return await _guard("migrations", probe)


def readiness(checks: list[Check]) -> tuple[int, dict[str, Any]]:
    ready = all(check.ok for check in checks)
    body = {
        "status": "ready" if ready else "not_ready",
        "checks": {check.name: check.as_dict() for check in checks},
        "not_ready": [check.name for check in checks if not check.ok],
    }
    return (200 if ready else 503), body
