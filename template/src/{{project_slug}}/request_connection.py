"""One pooled database connection per request for Kernia's queries.

kernia_sqlalchemy checks a connection out of the pool for every query: a pre-ping, a BEGIN, the statement and
a COMMIT or ROLLBACK, four round trips where one would do (measured: ~0.7 ms of backend CPU per query against
~0.16 ms on a held connection; a sign-in makes about a dozen queries). ``RequestConnection`` (an ASGI layer)
leases one connection on a request's first query, in autocommit, so each statement still commits on its own
exactly as before, and returns it to the pool when the response is done.

A request holds at most one pooled connection at a time: the project's own single-statement writes (audit
events, webhook claims) use the lease too (``connection_for``), and an atomic block (``ctx.transaction()``)
hands the lease back before it takes a connection of its own; so does a password hash (``hand_back``), which
waits its turn in a pool of four threads. Holding one while waiting for a second would deadlock a full pool
(every request waiting for the 30 s checkout timeout). Work a request hands to another task (a background
notice) does not share the lease: an asyncpg connection runs one statement at a time, and the lease ends with
the response.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar

from kernia_sqlalchemy import SQLAlchemyAdapter
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .asgi import ASGIApp, HttpMiddleware, Receive, Scope, Send


class Lease:
    """The connection of one request, checked out on first use (requests that never query hold none)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.task = asyncio.current_task()
        self._connection: AsyncConnection | None = None

    def serves_this_task(self) -> bool:
        return asyncio.current_task() is self.task

    async def connection(self) -> AsyncConnection:
        if self._connection is None:
            connection = await self.engine.connect()
            self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    async def release(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()


_LEASE: ContextVar[Lease | None] = ContextVar("request_connection", default=None)


def _lease_of(engine: AsyncEngine) -> Lease | None:
    """This task's lease on ``engine``, if it holds one."""
    lease = _LEASE.get()
    return lease if lease is not None and lease.engine is engine and lease.serves_this_task() else None


async def hand_back() -> None:
    """Return this task's leased connection to the pool before a wait that needs none (a password hash)."""
    lease = _LEASE.get()
    if lease is not None and lease.serves_this_task():
        await lease.release()


@contextlib.asynccontextmanager
async def connection_for(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """For one statement: the request's leased connection (autocommit), else a transaction of its own."""
    lease = _lease_of(engine)
    if lease is not None:
        yield await lease.connection()
        return
    async with engine.begin() as connection:
        yield connection


class LeasingAdapter(SQLAlchemyAdapter):
    """Kernia's SQLAlchemy adapter, on the request's leased connection outside atomic blocks."""

    @contextlib.asynccontextmanager
    async def _connect(self, *, write: bool) -> AsyncIterator[AsyncConnection]:
        lease = _lease_of(self.engine)
        if self._txn_conn.get() is None and lease is not None:
            yield await lease.connection()
            return
        async with super()._connect(write=write) as connection:
            yield connection

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if self._txn_conn.get() is None:
            await hand_back()  # autocommit: nothing pending; the next query leases again
        async with super().transaction():
            yield


class RequestConnection(HttpMiddleware):
    """Lease a connection of ``engine()`` for each HTTP request and return it when the request ends."""

    def __init__(self, app: ASGIApp, *, engine: Callable[[], AsyncEngine | None]) -> None:
        super().__init__(app)
        self.engine = engine

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        engine = self.engine()
        if engine is None:  # before startup: nothing to lease
            await self.app(scope, receive, send)
            return
        lease = Lease(engine)
        token = _LEASE.set(lease)
        try:
            await self.app(scope, receive, send)
        finally:
            _LEASE.reset(token)
            await lease.release()
