"""Connections and clients the app opens at startup and closes at shutdown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from .database import create_engine
from .mailer import Mailer, SmtpMailer
from .project import WITH_QUEUE, WITH_SMS
from .secret_store import Secrets
from .settings import Settings


class SharedTransport(httpx.AsyncBaseTransport):
    """One connection pool for every Stripe call, open until shutdown.

    kernia_stripe opens a client per call (two per sign-up) and closes it after; without a transport of
    ours each one builds a new TLS context, ~20 ms of CPU. But closing a client closes its transport: with
    one shared transport, a call that finished cut the connections of calls still in flight (a sign-up's
    Stripe customer lost to a ReadError). So the clients' close is a no-op here; ``shutdown`` closes the pool.
    """

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        """A per-call client is done; the pool stays for the other calls."""

    async def shutdown(self) -> None:
        await self._transport.aclose()


@dataclass
class Resources:
    engine: AsyncEngine
    mailer: Mailer
    redis: Any | None = None  # redis.asyncio.Redis; None = in-process rate limits (unit tests only)
    sms: Any | None = None  # object with ``async send(*, to, body)``
    audit_fanout: Any | None = None
    stripe_transport: httpx.AsyncBaseTransport | None = None
    sso_transport: httpx.AsyncBaseTransport | None = None

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        if isinstance(self.stripe_transport, SharedTransport):
            await self.stripe_transport.shutdown()
        elif self.stripe_transport is not None:
            await self.stripe_transport.aclose()
        await self.engine.dispose()


ResourcesFactory = Callable[[Settings, Secrets], Resources]


def open_resources(settings: Settings, secrets: Secrets) -> Resources:
    """Production wiring: PostgreSQL, Redis, SMTP (+ SNS and SQS when the project has them).

    With the queue and ``EMAIL_QUEUE_URL``, the mailer enqueues: the worker alone talks SMTP.
    """
    import redis.asyncio as redis_asyncio

    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is required: rate limits must be shared between workers")
    resources = Resources(
        engine=create_engine(settings),
        redis=redis_asyncio.from_url(settings.redis_url),
        mailer=SmtpMailer.from_settings(settings, secrets),
        stripe_transport=SharedTransport(),
    )
    if WITH_SMS:
        from .sms import SnsSmsClient

        resources.sms = SnsSmsClient.from_settings(settings)
    if WITH_QUEUE:
        from .queue import QueueClient

        queue = QueueClient.from_settings(settings)
        if settings.email_queue_url:
            resources.mailer = queue
        resources.audit_fanout = queue.publish_audit if settings.audit_queue_url else None
    return resources
