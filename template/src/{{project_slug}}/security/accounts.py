"""Account-lifecycle defences: addresses, callback URLs, password resets, verification and deletion.

Kernia 0.1.0 takes any string as an email (lists of addresses reach the mailer, case variants become
separate accounts), keeps stolen sessions across a password reset, keeps a password an attacker set before
the owner verified the address (by magic link, OTP, or the link the owner's own later sign-up mails),
deletes accounts without a password, mails sign-in links that redirect anywhere, lets one flow consume
another flow's verification row, and tells who is registered (sign-in timing, sign-up's
``EMAIL_ALREADY_IN_USE``, an unverified account's sign-in). Each hook below closes one of these;
before-hooks refuse before the handler spends anything, after-hooks run only when the handler succeeded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import re
import secrets
import time
from collections.abc import Coroutine, Mapping
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

from kernia.crypto import hash_password, verify_password
from kernia.error import APIError
from kernia.plugins.magic_link.routes import default_key_hasher
from kernia.types.adapter import Where
from kernia.types.context import EndpointContext
from kernia.types.hooks import AfterHook, BeforeHook
from kernia.types.plugin import KerniaPlugin

from ..mailer import Email
from ..plugin import body_dict, hooks_plugin
from ..project import PROJECT_NAME
from ..schema import MODELS
from .abuse import in_thread
from .deps import SecurityDeps

log = logging.getLogger(__name__)

# Body field holding an address, per route. Every one is trimmed, lower-cased and checked before Kernia runs.
EMAIL_FIELDS: Mapping[str, str] = {
    "/sign-up/email": "email",
    "/sign-in/email": "email",
    "/forget-password": "email",
    "/send-verification-email": "email",
    "/sign-in/magic-link": "email",
    "/sign-in/email-otp": "email",
    "/email-otp/send-verification-otp": "email",
    "/email-otp/verify": "email",
    "/email-otp/verify-email": "email",
    "/email-otp/check-verification-otp": "email",
    "/forget-password/email-otp": "email",
    "/email-otp/request-password-reset": "email",
    "/email-otp/reset-password": "email",
    "/change-email": "new_email",
    "/email-otp/request-email-change": "new_email",
    "/email-otp/change-email": "new_email",
    "/admin/create-user": "email",
    "/organization/invite-member": "email",
}
# Routes whose body or query carries a redirect target, and the names it may travel under.
CALLBACK_ROUTES = frozenset(
    {
        "/sign-in/magic-link",
        "/magic-link/verify",
        "/send-verification-email",
        "/verify-email",
        "/change-email",
        "/forget-password",
    }
)
CALLBACK_PREFIXES = ("/sso/oidc/sign-in/", "/sso/saml/sign-in/")  # N6: SSO sign-ins carry one too
CALLBACK_NAMES = (
    "callback",  # the SSO sign-ins read it before callbackURL
    "callbackURL",
    "callback_url",
    "newUserCallbackURL",
    "new_user_callback_url",
    "errorCallbackURL",
    "error_callback_url",
    "redirectTo",
    "redirect_to",
)
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
ADDR_SPEC = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+{_LABEL}")
FRESH_SESSION_SECONDS = 10 * 60  # deleting a password-less account needs a sign-in this recent
NOTICE_THROTTLE_SECONDS = 3600  # at most one notice, and one resent verification link, per address and hour
VERIFY_TTL_SECONDS = 24 * 3600  # as long as Kernia's own verification links live

_reset_user: ContextVar[str | None] = ContextVar("accounts_reset_user", default=None)
_unverified_user: ContextVar[str | None] = ContextVar("accounts_unverified_user", default=None)


class Answer(APIError):
    """A 200 answer from a before-hook: the router renders ``to_dict()`` and skips the handler.

    Used only where the answer must look exactly like the handler's own (sign-up of a taken address).
    """

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(200, "OK")
        self.body = body

    def to_dict(self) -> dict[str, object]:
        return dict(self.body)


def normalize_email(value: object) -> str:
    """One mailbox, one spelling: trimmed, lower-cased, a single plain addr-spec (no lists, names, CR/LF)."""
    email = value.strip(" \t").lower() if isinstance(value, str) else ""
    local = email.partition("@")[0]
    if len(email) > 254 or len(local) > 64 or not ADDR_SPEC.fullmatch(email):
        raise APIError(
            400,
            "INVALID_EMAIL",
            message="Give exactly one email address (no lists, display names or line breaks).",
        )
    return email


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def is_safe_redirect(value: str, allowed_origins: frozenset[str]) -> bool:
    """A path on this site (``/x``, never ``//host``) or a URL on an allowed origin; printable ASCII only."""
    if not value or any(not ("!" <= ch <= "~") for ch in value) or "\\" in value:
        return False
    if value.startswith("/"):
        return not value.startswith("//")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return False
    return origin_of(value) in allowed_origins


def _with_field(body: Any, name: str, value: str) -> Any:
    if isinstance(body, dict):
        return {**body, name: value}
    if hasattr(body, "model_copy"):
        return body.model_copy(update={name: value})
    if dataclasses.is_dataclass(body) and not isinstance(body, type):
        return dataclasses.replace(body, **{name: value})
    return body


def _first(value: object) -> object:
    return value[0] if isinstance(value, list) and value else value


async def _raw_json(ctx: EndpointContext) -> dict[str, Any]:
    try:
        document = await ctx.request.json()
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _json_object(text: object) -> dict[str, Any] | None:
    try:
        value = json.loads(str(text))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def _user_by_email(ctx: EndpointContext, email: object) -> dict[str, Any] | None:
    if not isinstance(email, str) or not email:
        return None
    return await ctx.auth.adapter.find_one(model="user", where=(Where(field="email", value=email),))


async def _password_hash(ctx: EndpointContext, user_id: str) -> str | None:
    account = await ctx.auth.adapter.find_one(
        model="account",
        where=(Where(field="userId", value=user_id), Where(field="providerId", value="credential")),
    )
    return str(account["password"]) if account and account.get("password") else None


def lookalike_user(ctx: EndpointContext, email: str, name: object) -> dict[str, Any]:
    """A user document shaped like the adapter's answer for a new row.

    Every column of the schema in its order, with the defaults of the plugins this backend runs (columns of
    plugins it does not run stay null).
    """
    live = {field.name: field for field in ctx.auth.tables["user"].fields}
    model = next(model for model in MODELS if model.name == "user")
    values: dict[str, Any] = {}
    for field in model.fields:
        default = live[field.name].default if field.name in live else None
        if field.returned:
            values[field.name] = None if callable(default) else default
    now = int(time.time())
    values.update(id=secrets.token_urlsafe(16), email=email, name=name, emailVerified=False)
    values.update(createdAt=now, updatedAt=now)
    return values


class AccountDefences:
    """The hooks, bound to the backend's settings, mail delivery, audit log and Redis."""

    def __init__(self, deps: SecurityDeps) -> None:
        self.deps = deps
        self.allowed_origins = frozenset(
            {origin_of(deps.settings.frontend_url), origin_of(deps.settings.backend_origin)}
        )
        # Verified against when there is no password to check, so a miss costs what a wrong password costs.
        self.dummy_hash = hash_password(secrets.token_urlsafe(16))
        self._notices: set[asyncio.Task[None]] = set()

    # --- F27, F15: one plain address per field, one spelling per mailbox
    async def normalize_emails(self, ctx: EndpointContext) -> None:
        name = EMAIL_FIELDS[ctx.request.path]
        value = body_dict(ctx.body).get(name) if ctx.body is not None else None
        if value is None and ctx.request.path == "/send-verification-email":
            return  # the signed-in user's own address
        if ctx.body is None:
            return
        ctx.body = _with_field(ctx.body, name, normalize_email(value))

    # --- F23: sign-in and verification links only lead back to this site or the frontend
    async def check_callbacks(self, ctx: EndpointContext) -> None:
        sources: list[Mapping[str, Any]] = [ctx.request.query]
        if ctx.request.method != "GET":
            sources.append(await _raw_json(ctx))
        for source in sources:
            for name in CALLBACK_NAMES:
                value = _first(source.get(name))
                if value in (None, ""):
                    continue
                if not isinstance(value, str) or not is_safe_redirect(value, self.allowed_origins):
                    raise APIError(
                        400,
                        "INVALID_CALLBACK_URL",
                        message=f"{name} must be a path on this site or a URL on the frontend's origin.",
                    )

    # --- F21 + F07: a magic link consumes only magic-link rows; remember an unverified owner
    async def check_magic_link(self, ctx: EndpointContext) -> None:
        _unverified_user.set(None)
        token = _first(ctx.request.query.get("token"))
        store = (ctx.auth.options.advanced.get("magic-link") or {}).get("store_token", "plain")
        if not isinstance(token, str) or store not in ("plain", "hashed"):
            return  # Kernia refuses a missing token; custom hashers are not ours to recompute
        identifier = token if store == "plain" else default_key_hasher(token)
        row = await ctx.auth.adapter.find_one(
            model="verification", where=(Where(field="identifier", value=identifier),)
        )
        payload = _json_object(row["value"]) if row else None
        if payload is None or not isinstance(payload.get("email"), str):
            raise APIError(400, "MAGIC_LINK_INVALID", message="Magic link is invalid")
        await self._remember_unverified(ctx, payload["email"])

    async def check_otp_sign_in(self, ctx: EndpointContext) -> None:
        _unverified_user.set(None)
        await self._remember_unverified(ctx, body_dict(ctx.body).get("email"))

    async def _remember_unverified(self, ctx: EndpointContext, email: object) -> None:
        user = await _user_by_email(ctx, email)
        if user is not None and not user.get("emailVerified"):
            _unverified_user.set(str(user["id"]))

    async def drop_unverified_password(self, ctx: EndpointContext, result: object) -> None:
        """The owner just proved the mailbox without a password: a password set before that is not theirs.

        The verification link (/verify-email, /email-otp/verify-email) keeps the password: it confirms the
        sign-up that chose it, which is why a second sign-up with another password drops it at once
        (``answer_taken_address``).
        """
        user_id = _unverified_user.get()
        _unverified_user.set(None)
        if user_id is not None:
            await self._drop_password(ctx, user_id, "set before the address was verified")

    async def _drop_password(self, ctx: EndpointContext, user_id: str, reason: str) -> None:
        removed = await ctx.auth.adapter.delete_many(
            model="account",
            where=(Where(field="userId", value=user_id), Where(field="providerId", value="credential")),
        )
        if removed:
            await self.deps.audit.record(
                "auth_method.password_removed",
                actor_id=user_id,
                subject_type="user",
                subject_id=user_id,
                metadata={"reason": reason, "route": ctx.request.path},
            )

    # --- F21 + F06: reset and verification tokens are looked up in their own flow only
    async def check_reset_token(self, ctx: EndpointContext) -> None:
        _reset_user.set(None)
        row = await self._row_by_value(ctx, body_dict(ctx.body).get("token"))
        identifier = str(row["identifier"]) if row else ""
        if not identifier.startswith("reset:"):
            raise APIError(400, "INVALID_REQUEST", message="Token is invalid or expired")
        _reset_user.set(identifier.partition(":")[2])

    async def check_verification_token(self, ctx: EndpointContext) -> None:
        token = (
            body_dict(ctx.body).get("token")
            if ctx.body is not None
            else _first(ctx.request.query.get("token"))
        )
        if not isinstance(token, str) or not token:
            return  # Kernia answers 400 itself
        row = await self._row_by_value(ctx, token)
        if not str(row["identifier"] if row else "").startswith("verify-email:"):
            raise APIError(400, "INVALID_REQUEST", message="Token is invalid or already used.")

    @staticmethod
    async def _row_by_value(ctx: EndpointContext, token: object) -> dict[str, Any] | None:
        if not isinstance(token, str) or not token:
            return None
        return await ctx.auth.adapter.find_one(
            model="verification", where=(Where(field="value", value=token),)
        )

    async def remember_otp_reset_user(self, ctx: EndpointContext) -> None:
        user = await _user_by_email(ctx, body_dict(ctx.body).get("email"))
        _reset_user.set(str(user["id"]) if user else None)

    async def revoke_after_reset(self, ctx: EndpointContext, result: object) -> None:
        """A reset is how an owner takes the account back: every session and API key of the thief goes."""
        user_id = _reset_user.get()
        _reset_user.set(None)
        if user_id is None:
            return
        sessions = await ctx.auth.adapter.delete_many(
            model="session", where=(Where(field="userId", value=user_id),)
        )
        keys = await ctx.auth.adapter.update_many(
            model="apikey", where=(Where(field="referenceId", value=user_id),), update={"enabled": False}
        )
        await self.deps.audit.record(
            "session.revoked",
            actor_id=user_id,
            subject_type="user",
            subject_id=user_id,
            metadata={"reason": "password reset", "sessions": sessions, "api_keys_disabled": keys},
        )

    # --- F16: deleting an account takes the password (or, without one, a fresh sign-in)
    async def confirm_deletion(self, ctx: EndpointContext) -> None:
        if ctx.session is None:
            return  # Kernia answers 401
        raw = await _raw_json(ctx)
        given = next(
            (
                value
                for value in (raw.get("password"), raw.get("currentPassword"), raw.get("current_password"))
                if isinstance(value, str) and value
            ),
            None,
        )
        stored = await _password_hash(ctx, ctx.session.user_id)
        if stored is not None:
            if given is None:
                raise APIError(
                    400, "PASSWORD_REQUIRED", message="Give your current password to delete the account."
                )
            if not await in_thread(verify_password, given, stored):
                raise APIError(401, "INVALID_PASSWORD", message="The password is incorrect.")
            return
        row = await ctx.auth.adapter.find_one(
            model="session", where=(Where(field="id", value=ctx.session.id),)
        )
        if int((row or {}).get("createdAt") or 0) < int(time.time()) - FRESH_SESSION_SECONDS:
            raise APIError(
                403, "SESSION_NOT_FRESH", message="Sign in again, then delete the account within ten minutes."
            )

    # --- F20: no answer or timing tells whether an address is registered
    async def equalize_sign_in(self, ctx: EndpointContext) -> None:
        """Kernia answers an unknown address without hashing: spend the Argon2 time a wrong password
        costs, in the same bounded pool (``in_thread``), so a busy server queues both alike."""
        body = body_dict(ctx.body)
        password = str(body.get("password", ""))
        user = await _user_by_email(ctx, body.get("email"))
        stored = await _password_hash(ctx, str(user["id"]) if user else "")  # the same lookup either way
        if stored is None:
            await in_thread(verify_password, password, self.dummy_hash)
        elif user is not None and not user.get("emailVerified"):
            await self._refuse_unverified(ctx, str(user["email"]), password, stored)

    async def _refuse_unverified(self, ctx: EndpointContext, email: str, password: str, stored: str) -> None:
        """N8: an unverified account answers like a wrong password, right password or not.

        Kernia's 403 ``EMAIL_NOT_VERIFIED`` for the right one told a prober whose own sign-up had just created
        the row (sign up with P, sign in with P) that the address was free: a taken one answers 401. The one
        who knows the password gets a new verification link by mail instead, at most once an hour.
        """
        if await in_thread(verify_password, password, stored):
            self._background(self._resend_verification(ctx, email))
        raise APIError(401, "INVALID_CREDENTIALS")

    async def _resend_verification(self, ctx: EndpointContext, email: str) -> None:
        try:
            if not await self._first_this_hour("verification-resend", email):
                return
            token = secrets.token_urlsafe(32)
            await ctx.auth.adapter.create(
                model="verification",
                data={
                    "identifier": f"verify-email:{email}",
                    "value": token,
                    "expiresAt": int(time.time()) + VERIFY_TTL_SECONDS,
                },
            )
            await self.deps.delivery.send_verification_email(email, token)  # lands on the frontend
        except Exception:
            log.warning("the verification link for an unverified sign-in could not be sent", exc_info=True)

    async def answer_taken_address(self, ctx: EndpointContext) -> None:
        """A taken address gets what a fresh sign-up gets, after the same hashing; the owner gets a notice.

        N1: while the address is unverified nobody has proved the mailbox, so a second sign-up with another
        password drops the stored one: the verification link the owner opens next must not confirm a password
        someone else chose first. (The same password again, a resubmitted form, keeps it; a verified account's
        password is never touched.)
        """
        body = body_dict(ctx.body)
        email, password = body.get("email"), str(body.get("password", ""))
        user = await _user_by_email(ctx, email)
        if user is None:
            return
        policy = ctx.auth.options.email_and_password
        if len(password) < policy.min_password_length:
            raise APIError(400, "PASSWORD_TOO_SHORT")
        if len(password) > policy.max_password_length:
            raise APIError(400, "PASSWORD_TOO_LONG")
        stored = await _password_hash(ctx, str(user["id"]))
        if stored is None or user.get("emailVerified"):
            await in_thread(hash_password, password)  # the Argon2 time a fresh sign-up spends
        elif not await in_thread(verify_password, password, stored):
            await self._drop_password(ctx, str(user["id"]), "second sign-up before verification")
        self._background(self._notify_owner(str(email)))
        raise Answer({"user": lookalike_user(ctx, str(email), body.get("name"))})

    def _background(self, mail: Coroutine[Any, Any, None]) -> None:
        """Mail off the request path: whether a mail goes out must not show in the answer's timing."""
        task = asyncio.create_task(mail)
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)

    async def _first_this_hour(self, kind: str, email: str) -> bool:
        redis = self.deps.redis
        if redis is None:
            return True
        key = f"accounts:{kind}:" + hashlib.sha256(email.encode()).hexdigest()
        return bool(await redis.set(key, "1", nx=True, ex=NOTICE_THROTTLE_SECONDS))

    async def _notify_owner(self, email: str) -> None:
        try:
            if not await self._first_this_hour("exists-notice", email):
                return
            body = (
                f"Someone tried to create a {PROJECT_NAME} account with this address, which has one.\n\n"
                f"If it was you, sign in, or reset your password at {self.deps.settings.frontend_url}\n"
                "If it was not you, you can ignore this email.\n"
            )
            await self.deps.delivery.deliver(
                Email(email, f"Your {PROJECT_NAME} account", body), "account_exists"
            )
        except Exception:
            log.warning("the existing-account notice could not be sent", exc_info=True)


def plugins(deps: SecurityDeps) -> tuple[KerniaPlugin, KerniaPlugin]:
    """Two plugins around the rate limiter: input checks that involve no secret run before it (a malformed
    request spends no one's mail budget), the rules that look up tokens or hash passwords after it."""
    d = AccountDefences(deps)
    inputs = hooks_plugin(
        "project-account-inputs",
        before=(
            # Addresses first: every later hook (ours and other plugins') sees the normalised one.
            BeforeHook(match=lambda ctx: ctx.request.path in EMAIL_FIELDS, handler=d.normalize_emails),
            BeforeHook(
                match=lambda ctx: (
                    ctx.request.path in CALLBACK_ROUTES or ctx.request.path.startswith(CALLBACK_PREFIXES)
                ),
                handler=d.check_callbacks,
            ),
        ),
    )
    rules = hooks_plugin(
        "project-accounts",
        before=(
            BeforeHook(match="/magic-link/verify", handler=d.check_magic_link),
            BeforeHook(match="/email-otp/verify", handler=d.check_otp_sign_in),
            BeforeHook(match="/reset-password", handler=d.check_reset_token),
            BeforeHook(match="/verify-email", handler=d.check_verification_token),
            BeforeHook(match="/email-otp/reset-password", handler=d.remember_otp_reset_user),
            BeforeHook(match="/delete-user", handler=d.confirm_deletion),
            BeforeHook(match="/sign-in/email", handler=d.equalize_sign_in),
            BeforeHook(match="/sign-up/email", handler=d.answer_taken_address),
        ),
        after=(
            AfterHook(match="/magic-link/verify", handler=d.drop_unverified_password),
            AfterHook(match="/email-otp/verify", handler=d.drop_unverified_password),
            AfterHook(match="/reset-password", handler=d.revoke_after_reset),
            AfterHook(match="/email-otp/reset-password", handler=d.revoke_after_reset),
        ),
    )
    return inputs, rules
