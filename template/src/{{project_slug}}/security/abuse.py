"""Rate limits keyed on who is attacked and from where, and password hashing off the event loop.

Kernia 0.1.0 keys its limiter on ``session.user_id if session else IP``: a caller who carries any session of
their own (self-made through a magic link) gets a fresh bucket for guessing someone else's password. Several
routes that mail people or check a secret have no rule at all, and nothing counts per target, so mail floods
and OTP guessing are bounded only by the global 100 requests a minute. This module keeps its own counters,
keyed on the client address (what ``client_ip`` resolved) and on the target identity (the e-mail address or
phone number a request names), never on the caller's session, in Redis when configured so that every worker
shares them. ``LIMITS`` is the one table of what is limited and how.

Kernia also runs argon2 (64 MiB, ~120 ms) synchronously inside its async handlers, so each sign-in stalls
every other request of the worker. Its options take no hash functions, so before-hooks compute the hash or
the verification in a worker thread and the names Kernia's route modules call return that result.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import kernia.crypto
from kernia.error import APIError
from kernia.types.adapter import Where
from kernia.types.context import EndpointContext
from kernia.types.hooks import AfterHook, BeforeHook
from kernia.types.plugin import KerniaPlugin

from .. import request_connection, request_context
from ..plugin import body_dict, hooks_plugin
from .deps import SecurityDeps


class Purpose(StrEnum):
    """Why a route is worth limiting (the classification the unit tests hold every public route to)."""

    SENDS_MAIL = "sends mail"
    SENDS_SMS = "sends SMS"
    CHECKS_SECRET = "checks a secret"  # password, OTP, token, signed assertion
    CREATES_ACCOUNT = "creates an account"


@dataclass(frozen=True)
class Window:
    max: int
    seconds: int


@dataclass(frozen=True)
class RouteLimit:
    """One route: a limit per client address and, when it names a person, one per target identity.

    ``target`` is the body field naming the person (``email`` falls back to the session user's own address
    only to find the recipient, never as the key of the limit). Routes sharing a ``bucket`` share their
    per-target counter (aliases, or every route that checks the same OTP). With ``failures_only`` a success
    clears the target's counter, so it counts failed attempts (password and OTP guesses).
    """

    method: str
    path: str
    purposes: frozenset[Purpose]
    per_client: Window | None = None
    per_target: Window | None = None
    target: str = "email"
    bucket: str = ""
    failures_only: bool = False

    @property
    def key(self) -> str:
        return self.bucket or self.path

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and _template(self.path).fullmatch(path) is not None


def _route(spec: str, *purposes: Purpose, **options: Any) -> RouteLimit:
    method, path = spec.split(" ", 1)
    return RouteLimit(method, path, frozenset(purposes), **options)


@functools.cache
def _template(path: str) -> re.Pattern[str]:
    return re.compile(re.sub(r":[A-Za-z_]+", "[^/]+", re.escape(path).replace(r"\:", ":")))


P = Purpose
MINUTE, TEN_MINUTES, QUARTER_HOUR = 60, 600, 900
MAIL_PER_RECIPIENT = Window(3, TEN_MINUTES)  # at most 3 mails of one kind to one address per 10 minutes
OTP_GUESSES = Window(6, QUARTER_HOUR)  # failed OTP checks per address, whichever OTP (fresh ones included)
PASSWORD_GUESSES = Window(10, QUARTER_HOUR)  # failed sign-ins per account, from any number of addresses

# Every public route under the auth mount (security/policy.py, Access.PUBLIC) plus the routes of signed-in
# callers that mail someone else. Keys: the client address and the target identity, never the session.
LIMITS: tuple[RouteLimit, ...] = (
    _route("GET /ok"),
    _route("GET /error"),
    _route("GET /get-session"),
    _route("POST /sign-out"),
    _route("GET /sso/providers"),
    _route("GET /sso/oidc/sign-in/:provider_id"),  # redirects to the IdP; Kernia limits it (20/min)
    _route("GET /sso/saml/sign-in/:provider_id"),
    _route("GET /sso/saml/metadata/:provider_id"),
    _route("POST /sign-in/social"),  # redirects to the provider; the callback is what checks and creates
    _route(
        "POST /sign-up/email",
        P.CREATES_ACCOUNT,
        per_client=Window(5, MINUTE),
        per_target=Window(3, TEN_MINUTES),
    ),
    _route(
        "POST /sign-in/email",
        P.CHECKS_SECRET,
        per_client=Window(10, MINUTE),
        per_target=PASSWORD_GUESSES,
        failures_only=True,
    ),
    _route(
        "POST /sign-in/magic-link",
        P.SENDS_MAIL,
        P.CREATES_ACCOUNT,
        per_client=Window(5, MINUTE),
        per_target=MAIL_PER_RECIPIENT,
    ),
    _route("GET /magic-link/verify", P.CHECKS_SECRET, P.CREATES_ACCOUNT, per_client=Window(10, MINUTE)),
    _route(
        "POST /send-verification-email",
        P.SENDS_MAIL,
        per_client=Window(5, MINUTE),
        per_target=MAIL_PER_RECIPIENT,
    ),
    _route("GET /verify-email", P.CHECKS_SECRET, per_client=Window(10, MINUTE)),
    _route("POST /verify-email", P.CHECKS_SECRET, per_client=Window(10, MINUTE)),
    _route(
        "POST /forget-password", P.SENDS_MAIL, per_client=Window(3, MINUTE), per_target=MAIL_PER_RECIPIENT
    ),
    _route(
        "POST /forget-password/email-otp",
        P.SENDS_MAIL,
        per_client=Window(3, MINUTE),
        per_target=MAIL_PER_RECIPIENT,
        bucket="reset-code",
    ),
    _route(
        "POST /email-otp/request-password-reset",  # an alias of the route above: one counter per recipient
        P.SENDS_MAIL,
        per_client=Window(3, MINUTE),
        per_target=MAIL_PER_RECIPIENT,
        bucket="reset-code",
    ),
    _route(
        "POST /email-otp/send-verification-otp",
        P.SENDS_MAIL,
        per_client=Window(3, MINUTE),
        per_target=MAIL_PER_RECIPIENT,
    ),
    _route("POST /reset-password", P.CHECKS_SECRET, per_client=Window(5, MINUTE)),
    *(
        _route(
            spec,
            P.CHECKS_SECRET,
            *extra,
            per_client=Window(5, MINUTE),
            per_target=OTP_GUESSES,
            bucket="email-otp-guess",
            failures_only=True,
        )
        for spec, extra in (
            ("POST /email-otp/check-verification-otp", ()),
            ("POST /email-otp/verify", ()),
            ("POST /email-otp/verify-email", ()),
            ("POST /email-otp/reset-password", ()),
        )
    ),
    _route(
        "POST /sign-in/email-otp",  # mails a sign-in code: a mail route, not a guess (the rehearsal found it)
        P.SENDS_MAIL,
        P.CREATES_ACCOUNT,
        per_client=Window(3, MINUTE),
        per_target=MAIL_PER_RECIPIENT,
    ),
    _route("GET /callback/:provider", P.CHECKS_SECRET, P.CREATES_ACCOUNT, per_client=Window(20, MINUTE)),
    _route("POST /callback/:provider", P.CHECKS_SECRET, P.CREATES_ACCOUNT, per_client=Window(20, MINUTE)),
    _route(
        "GET /sso/oidc/callback/:provider_id",
        P.CHECKS_SECRET,
        P.CREATES_ACCOUNT,
        per_client=Window(20, MINUTE),
    ),
    _route(
        "POST /sso/saml/acs/:provider_id", P.CHECKS_SECRET, P.CREATES_ACCOUNT, per_client=Window(30, MINUTE)
    ),
    _route("POST /sso/saml/slo/:provider_id", P.CHECKS_SECRET, per_client=Window(30, MINUTE)),
    _route(
        "POST /sign-in/phone-number",
        P.CHECKS_SECRET,
        per_client=Window(10, MINUTE),
        per_target=PASSWORD_GUESSES,
        target="phone_number",
        failures_only=True,
    ),
    *(
        _route(
            spec,
            P.SENDS_SMS,
            per_client=Window(3, MINUTE),
            per_target=MAIL_PER_RECIPIENT,
            target="phone_number",
        )
        for spec in ("POST /phone-number/send-otp", "POST /phone-number/request-password-reset")
    ),
    *(
        _route(
            spec,
            P.CHECKS_SECRET,
            per_client=Window(5, MINUTE),
            per_target=OTP_GUESSES,
            target="phone_number",
            bucket="phone-otp-guess",
            failures_only=True,
        )
        for spec in ("POST /phone-number/verify", "POST /phone-number/reset-password")
    ),
    # Signed-in callers, but the mail goes to someone else: still per client address and per recipient.
    _route(
        "POST /organization/invite-member",
        P.SENDS_MAIL,
        per_client=Window(10, MINUTE),
        per_target=MAIL_PER_RECIPIENT,
    ),
)


def limit_for(method: str, path: str) -> RouteLimit | None:
    return next((limit for limit in LIMITS if limit.matches(method, path)), None)


def _window(window: Window | None) -> list[int] | None:
    return [window.max, window.seconds] if window else None


def describe(method: str, path: str) -> dict[str, Any] | None:
    """A route's limits for /internal/routes: windows as [max, seconds], the body field naming the target."""
    limit = limit_for(method, path)
    if limit is None or limit.per_client is None:
        return None
    return {
        "per_client": _window(limit.per_client),
        "per_target": _window(limit.per_target),
        "target": limit.target if limit.per_target else None,
        "purposes": sorted(limit.purposes),
    }


# --------------------------------------------------------------------------- counters


_HIT_LUA = (
    "local c = redis.call('INCR', KEYS[1]); "
    "if c == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]); end; "
    "return {c, redis.call('TTL', KEYS[1])}"
)


@dataclass
class Counters:
    """Fixed-window counters: Redis (shared by every worker) when configured, else this process's memory."""

    redis: Any | None = None
    _memory: dict[str, tuple[int, float]] = field(default_factory=dict)

    async def hit(self, key: str, seconds: int) -> tuple[int, int]:
        """Count one event; returns (events in the window so far, seconds until it resets)."""
        if self.redis is not None:
            count, ttl = await self.redis.eval(_HIT_LUA, 1, key, seconds)
            return int(count), max(1, int(ttl))
        now = time.monotonic()
        count, ends = self._memory.get(key, (0, 0.0))
        if ends <= now:
            count, ends = 0, now + seconds
            if len(self._memory) > 50_000:
                self._memory = {k: v for k, v in self._memory.items() if v[1] > now}
        self._memory[key] = (count + 1, ends)
        return count + 1, max(1, int(ends - now))

    async def forget(self, key: str) -> None:
        if self.redis is not None:
            await self.redis.delete(key)
        else:
            self._memory.pop(key, None)


def client_address(ctx: EndpointContext) -> str:
    """The address ``client_ip`` resolved for this request (socket peer, or past trusted proxies only)."""
    return request_context.current().ip_address or "unknown"


def identity(value: object, kind: str) -> str | None:
    """A target identity as one canonical string: a trimmed lower-case address, or a phone number's digits."""
    if not isinstance(value, str) or not value.strip():
        return None
    if kind == "phone_number":
        digits = re.sub(r"\D", "", value)
        return digits or None
    return value.strip().lower()


def _hashed(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]  # no addresses in Redis keys


def _refuse(ctx: EndpointContext, retry_after: int, message: str) -> APIError:
    ctx.response_headers["Retry-After"] = str(retry_after)
    return APIError(429, "RATE_LIMITED", message=f"{message} Retry in {retry_after}s.")


_target_key: ContextVar[str | None] = ContextVar("abuse_target_key", default=None)


@dataclass
class Limiter:
    counters: Counters

    async def before(self, ctx: EndpointContext) -> None:
        limit = limit_for(ctx.request.method, ctx.request.path)
        _target_key.set(None)
        if limit is None or limit.per_client is None:
            return
        client = client_address(ctx)
        count, reset = await self.counters.hit(f"abuse:client:{limit.key}:{client}", limit.per_client.seconds)
        if count > limit.per_client.max:
            raise _refuse(ctx, reset, "Too many requests from this address.")
        if limit.per_target is None:
            return
        target = await self._target(ctx, limit)
        if target is None:
            return
        key = f"abuse:target:{limit.key}:{_hashed(target)}"
        count, reset = await self.counters.hit(key, limit.per_target.seconds)
        if count > limit.per_target.max:
            raise _refuse(ctx, reset, "Too many requests for this recipient or account.")
        if limit.failures_only:
            _target_key.set(key)

    async def after(self, ctx: EndpointContext, result: object) -> None:
        """A success clears a failures-only counter: only failed guesses add up."""
        key = _target_key.get()
        if key is not None:
            await self.counters.forget(key)
            _target_key.set(None)

    async def _target(self, ctx: EndpointContext, limit: RouteLimit) -> str | None:
        target = identity(body_dict(ctx.body).get(limit.target), limit.target)
        if target is None and limit.target == "email" and ctx.session is not None:
            user = await ctx.auth.adapter.find_one(
                model="user", where=(Where(field="id", value=ctx.session.user_id),)
            )
            target = identity((user or {}).get("email"), "email")
        return target


def _limited(ctx: EndpointContext) -> bool:
    limit = limit_for(ctx.request.method, ctx.request.path)
    return limit is not None and limit.per_client is not None


# --------------------------------------------------------------------------- argon2 off the event loop


_HASH_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="argon2")  # 64 MiB each: bounded
_precomputed: ContextVar[dict[tuple[str, str, str], Any] | None] = ContextVar(
    "abuse_precomputed", default=None
)
stock_hash_password: Callable[[str], str] = kernia.crypto.hash_password
stock_verify_password: Callable[[str, str], bool] = kernia.crypto.verify_password

# Kernia's route modules that import hash_password / verify_password by name (kernia 0.1.0).
HASHING_MODULES = (
    "kernia.plugins.email_password.routes",
    "kernia.api.routes.update_user",
    "kernia.plugins.email_otp.routes",
    "kernia.plugins.admin.routes",
    "kernia.plugins.phone_number.routes",
)


def hash_password(password: str) -> str:
    """What Kernia's handlers call: the hash a before-hook computed in a thread, else the stock call."""
    cache = _precomputed.get()
    if cache is not None and ("hash", password, "") in cache:
        return str(cache.pop(("hash", password, "")))
    return stock_hash_password(password)


def verify_password(password: str, stored: str) -> bool:
    cache = _precomputed.get()
    if cache is not None and ("verify", password, stored) in cache:
        return bool(cache.pop(("verify", password, stored)))
    return stock_verify_password(password, stored)


def install_offloaded_hashing() -> None:
    """Point Kernia's route modules at the functions above (idempotent; fails loudly if Kernia moved them)."""
    for name in HASHING_MODULES:
        module = importlib.import_module(name)
        for attribute, replacement in (
            ("hash_password", hash_password),
            ("verify_password", verify_password),
        ):
            if hasattr(module, attribute):
                setattr(module, attribute, replacement)
    missing = [
        name
        for name in HASHING_MODULES[:2]
        if importlib.import_module(name).verify_password is not verify_password
    ]
    if missing:
        raise RuntimeError(f"password verification could not be moved off the event loop in {missing}")


async def in_thread(function: Callable[..., Any], *args: Any) -> Any:
    """Run a hash in the bounded pool; the request's database connection goes back to the pool meanwhile (a
    queue of sign-ins waiting for a hash must not starve requests that only need the database)."""
    await request_connection.hand_back()
    return await asyncio.get_running_loop().run_in_executor(_HASH_POOL, function, *args)


def _cache() -> dict[tuple[str, str, str], Any]:
    cache = _precomputed.get()
    if cache is None:
        cache = {}
        _precomputed.set(cache)
    return cache


async def _credential_hash(ctx: EndpointContext, user_id: str) -> str | None:
    account = await ctx.auth.adapter.find_one(
        model="account",
        where=(Where(field="userId", value=user_id), Where(field="providerId", value="credential")),
    )
    password = (account or {}).get("password")
    return str(password) if password else None


async def _precompute(
    ctx: EndpointContext, *, verify: tuple[str, str | None] | None, hashes: Iterable[object]
) -> None:
    cache = _cache()
    if verify is not None:
        password, stored = verify
        if isinstance(password, str) and stored:
            cache[("verify", password, stored)] = await in_thread(stock_verify_password, password, stored)
    for password in hashes:
        if isinstance(password, str) and password:
            cache[("hash", password, "")] = await in_thread(stock_hash_password, password)


async def prehash_sign_in(ctx: EndpointContext) -> None:
    body = body_dict(ctx.body)
    email = body.get("email")
    if not isinstance(email, str):
        return
    user = await ctx.auth.adapter.find_one(model="user", where=(Where(field="email", value=email),))
    stored = await _credential_hash(ctx, str(user["id"])) if user else None
    await _precompute(ctx, verify=(body.get("password"), stored), hashes=())


async def prehash_change_password(ctx: EndpointContext) -> None:
    if ctx.session is None:
        return
    body = body_dict(ctx.body)
    stored = await _credential_hash(ctx, ctx.session.user_id)
    await _precompute(ctx, verify=(body.get("current_password"), stored), hashes=(body.get("new_password"),))


async def prehash_new_password(ctx: EndpointContext) -> None:
    body = body_dict(ctx.body)
    await _precompute(ctx, verify=None, hashes=(body.get("password"), body.get("new_password")))


NEW_PASSWORD_ROUTES = (
    "/sign-up/email",
    "/reset-password",
    "/email-otp/reset-password",
    "/admin/create-user",
    "/admin/set-user-password",
)


# --------------------------------------------------------------------------- plugin


def limits_plugin(deps: SecurityDeps) -> KerniaPlugin:
    """The limiter: per client address and per target, before any hook that looks up a secret."""
    limiter = Limiter(Counters(deps.redis))
    return hooks_plugin(
        "project-limits",
        before=(BeforeHook(match=_limited, handler=limiter.before),),
        after=(AfterHook(match=_limited, handler=limiter.after),),
    )


def hashing_plugin() -> KerniaPlugin:
    """Argon2 for what passed every check, computed off the event loop (last, so refused calls cost none)."""
    install_offloaded_hashing()
    return hooks_plugin(
        "project-hashing",
        before=(
            BeforeHook(match="/sign-in/email", handler=prehash_sign_in),
            BeforeHook(match="/change-password", handler=prehash_change_password),
            *(BeforeHook(match=path, handler=prehash_new_password) for path in NEW_PASSWORD_ROUTES),
        ),
    )


__all__ = [
    "LIMITS",
    "Purpose",
    "RouteLimit",
    "Window",
    "describe",
    "hashing_plugin",
    "limit_for",
    "limits_plugin",
]
