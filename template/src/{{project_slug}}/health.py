"""Liveness and readiness.

``/healthz`` answers while the process runs (no dependencies). ``/readyz`` answers 200 only when the database
and Redis answer within ``PROBE_TIMEOUT`` and the database schema is the one shipped with this code: at its
migration head, with every table's columns as the code declares them (out-of-band DDL is drift too).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from .database import database_revision
from .schema import METADATA

# A dependency slower than this is not ready: a paused Redis or an exhausted pool must not hang /readyz.
PROBE_TIMEOUT = 2.0


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
        return Check(name, True, await asyncio.wait_for(probe(), PROBE_TIMEOUT))
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


async def drifted_tables(engine: AsyncEngine) -> list[str]:
    """Tables of the code's schema whose columns in the database differ (missing table, column added or
    dropped out of band); tables the code does not declare (``alembic_version``) are not compared."""

    def columns(sync: Any) -> dict[str, set[str]]:  # one catalog query on PostgreSQL
        found = inspect(sync).get_multi_columns(filter_names=list(METADATA.tables))
        return {table: {column["name"] for column in cols} for (_, table), cols in found.items()}

    async with engine.connect() as conn:
        actual = await conn.run_sync(columns)
    return sorted(
        name
        for name, table in METADATA.tables.items()
        if actual.get(name) != {column.name for column in table.columns}
    )


async def check_migrations(engine: AsyncEngine, head: str | None) -> Check:
    async def probe() -> str:
        current = await database_revision(engine)
        if current != head:
            raise MigrationMismatch(f"database at {current}, code expects {head}")
        drifted = await drifted_tables(engine)
        if drifted:
            raise MigrationMismatch(f"database at {current} but columns differ in: {', '.join(drifted)}")
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
