"""The fault mechanisms of the signals phase: each is a context manager that keeps one real fault going inside its
block and reverts it on exit. Nothing here touches the backend's code: the faults are HTTP requests a client or
attacker could send, PostgreSQL locks and DDL from a superuser session, the mail server's chaos triggers, pausing
Redis (SIGSTOP), and an admin using the admin API. All of them act on the canary's own parts (harness.signals.canary).
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg

from harness.actions import require
from harness.client import SESSION_COOKIE, Account, AuthClient, unique_email
from harness.providers.pause import Pauser
from harness.services.mail.client import MailpitClient

ACCOUNT_LABELS = ("signals-slow", "signals-pool", "signals-role")  # the users the faults act on, one each
SESSION_LABELS = ("signals-pool",)  # of those, the users whose session a fault acts on


@dataclass
class Target:
    """The canary as the faults reach it."""

    auth_base_url: str
    frontend_url: str
    database_url: str  # superuser, libpq form, on the canary's own database
    mail: MailpitClient  # the canary's mail server
    admin: AuthClient
    make_account: Callable[[str], Account]  # a fresh verified user
    pause_redis: Pauser  # the canary's Redis server, paused inside the block
    pool_limit: int = 0  # the backend pool's connection limit (db_pool_max_connections), set by the phase
    answers: Counter[str] = field(default_factory=Counter)  # "route status" -> count, for the report's detail
    accounts: dict[str, Account] = field(default_factory=dict)  # the faults' users by label (ACCOUNT_LABELS)
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (session cookie, session row id)

    def prepare(self) -> None:
        """Sign up (and in) the faults' users side by side before any fault runs: SMTP refusing mail would stall
        a verified sign-up, a paused Redis a sign-in, so no fault makes its user while another fault is on."""
        with ThreadPoolExecutor(max_workers=len(ACCOUNT_LABELS), thread_name_prefix="signals-account") as pool:
            list(pool.map(self.account, ACCOUNT_LABELS))
            list(pool.map(self.session, SESSION_LABELS))

    def account(self, label: str) -> Account:
        """The prepared user for ``label`` (made now when the phase did not prepare it)."""
        if label not in self.accounts:
            self.accounts[label] = self.make_account(label)
        return self.accounts[label]

    def session(self, label: str) -> tuple[str, str]:
        """The prepared user's session: its cookie and its row's id (signed in now when not prepared)."""
        if label not in self.sessions:
            account = self.account(label)
            with self.client() as owner:
                answer = owner.sign_in(account)
                require(answer.status_code == 200, f"sign-in of {account.email} answered {answer.status_code}")
                cookie = owner.session_cookie or ""
            with psycopg.connect(self.database_url, connect_timeout=10) as conn:
                query = 'SELECT id FROM "session" WHERE "userId" = %s'
                row = conn.execute(query, (account.user_id,)).fetchone()
            require(row is not None, f"no session row for {account.email}")
            self.sessions[label] = (cookie, row[0])
        return self.sessions[label]

    def client(self) -> AuthClient:
        """A client from its own loopback address: per-client rate limits never throttle a burst."""
        return AuthClient(self.auth_base_url, self.frontend_url)

    def note(self, what: str, response: httpx.Response) -> None:
        self.answers[f"{what} {response.status_code}"] += 1


@contextmanager
def pulsing(action: Callable[[], None], *, every: float = 0.2, stop: threading.Event | None = None) -> Iterator[None]:
    """Repeat ``action`` in the background while the block runs: a sustained fault, as a real one is. ``stop`` is
    set when the block ends: an action that waits can wait on it, so the revert does not wait out the action."""
    stop = stop or threading.Event()

    def loop() -> None:
        while not stop.is_set():
            action()
            stop.wait(every)

    thread = threading.Thread(target=loop, name="signals-pulse", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=60)


def failing_sign_ins(target: Target) -> Any:
    """Credential stuffing: sign-ins with wrong passwords for unknown addresses, each from a new client."""

    def attempt() -> None:
        with target.client() as client:
            target.note("POST /sign-in/email", client.sign_in(Account(unique_email("signals-stuffing"), "Wrong-pw-1")))

    return pulsing(attempt, every=0.2)


@contextmanager
def row_lock(database_url: str, table: str, row_id: str) -> Iterator[None]:
    """A transaction holding ``FOR UPDATE`` on one row until the block ends: whoever writes that row, or inserts a
    row whose foreign key points at it (``FOR KEY SHARE``), waits, holding its pool connection meanwhile."""
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        conn.execute(f'SELECT 1 FROM "{table}" WHERE id = %s FOR UPDATE', (row_id,))
        yield
        conn.rollback()


def _concurrently(
    target: Target, count: int, what: str, call: Callable[[AuthClient], httpx.Response]
) -> Callable[[], None]:
    """Start ``count`` concurrent requests, each from a new client; the returned function waits for all of them."""
    pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="signals-request")

    def one() -> None:
        with target.client() as client:
            target.note(what, call(client))

    futures = [pool.submit(one) for _ in range(count)]

    def join() -> None:
        for future in futures:
            future.result()
        pool.shutdown()

    return join


def slow_sign_ins(target: Target, *, hold: float = 3.0, concurrent: int = 4) -> Any:
    """Sign-ins that wait on a real lock: the user's row is locked ``hold`` seconds while ``concurrent`` sign-ins of
    that user run (their new session's foreign key waits), then released so they complete (the histogram records
    finished sign-ins)."""
    account = target.account("signals-slow")
    reverted = threading.Event()

    def cycle() -> None:
        with row_lock(target.database_url, "user", account.user_id or ""):
            join = _concurrently(target, concurrent, "POST /sign-in/email", lambda client: client.sign_in(account))
            reverted.wait(hold)
        join()

    return pulsing(cycle, every=0, stop=reverted)


@contextmanager
def pool_held(target: Target, connections: int) -> Iterator[None]:
    """The backend's pool held to its limit: ``connections`` sign-outs of one session, each waiting with a pool
    connection checked out to delete the session row a superuser transaction holds, until the block ends (well
    inside the pool's 30 s checkout timeout). Sign-outs, not sign-ins: no password hashing before the wait."""
    cookie, session_id = target.session("signals-pool")

    def sign_out(client: AuthClient) -> httpx.Response:
        client.http.cookies.set(SESSION_COOKIE, cookie)
        return client.post("/sign-out", {})

    join: Callable[[], None] = lambda: None  # noqa: E731
    try:
        with row_lock(target.database_url, "session", session_id):
            join = _concurrently(target, connections, "POST /sign-out", sign_out)
            yield
    finally:
        join()


def smtp_refusing(target: Target) -> Any:
    """The mail server's chaos trigger (Mailpit's API) makes SMTP refuse every recipient (451) while magic links are
    requested."""

    @contextmanager
    def fault() -> Iterator[None]:
        def request() -> None:
            with target.client() as client:
                response = client.post("/sign-in/magic-link", json={"email": unique_email("signals-mail")})
                target.note("POST /sign-in/magic-link", response)

        with target.mail.refusing(stage="Recipient", code=451), pulsing(request, every=0.5):
            yield

    return fault()


def bad_callbacks(target: Target) -> Any:
    """OIDC callbacks with a forged state and code, as a replayed or tampered redirect arrives."""

    def callback() -> None:
        with target.client() as client:
            path = f"/sso/oidc/callback/signals-{secrets.token_hex(4)}"
            response = client.get(path, params={"state": secrets.token_urlsafe(16), "code": "forged"})
            target.note("GET /sso/oidc/callback/:provider_id", response)

    return pulsing(callback, every=0.3)


def bad_webhooks(target: Target) -> Any:
    """Stripe webhooks signed with the wrong secret (a current timestamp, a random HMAC)."""

    def deliver() -> None:
        with target.client() as client:
            signature = f"t={int(time.time())},v1={secrets.token_hex(32)}"
            body = b'{"id": "evt_signals", "type": "customer.updated"}'
            headers = {"stripe-signature": signature}
            response = client.http.post(client.url("/stripe/webhook"), content=body, headers=headers)
            target.note("POST /stripe/webhook", response)

    return pulsing(deliver, every=0.3)


DRIFT_COLUMN = "signals_out_of_band"


@contextmanager
def schema_drift(target: Target) -> Iterator[None]:
    """Out-of-band DDL: a column added to ``user`` by hand, dropped again on exit."""
    with psycopg.connect(target.database_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'ALTER TABLE "user" ADD COLUMN {DRIFT_COLUMN} text')
        try:
            yield
        finally:
            conn.execute(f'ALTER TABLE "user" DROP COLUMN IF EXISTS {DRIFT_COLUMN}')


@contextmanager
def admin_role_changes(target: Target) -> Iterator[str]:
    """An admin grants and withdraws the admin role of a throwaway user through the admin API; yields its id.
    On exit the user is left a plain user."""
    user_id = target.account("signals-role").user_id or ""
    roles = itertools.cycle(("admin", "user"))

    def change(role: str) -> None:
        response = target.admin.post("/admin/set-role", json={"user_id": user_id, "role": role})
        target.note("POST /admin/set-role", response)

    with pulsing(lambda: change(next(roles)), every=0.5):
        yield user_id
    change("user")
