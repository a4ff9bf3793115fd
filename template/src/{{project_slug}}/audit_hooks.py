"""Kernia after-hooks that turn successful security and admin actions into audit events.

After-hooks run only when the handler succeeded, so an event means the change happened. Request bodies
are stored redacted (``audit.redact``): passwords, tokens, OTPs and key plaintext never reach the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernia.context import SESSION_TOKEN_COOKIE
from kernia.types.adapter import Where
from kernia.types.context import EndpointContext
from kernia.types.hooks import AfterHook
from kernia.types.plugin import KerniaPlugin

from .audit import AuditWriter
from .plugin import body_dict, hooks_plugin
from .telemetry import Telemetry


@dataclass(frozen=True)
class AuditedRoute:
    path: str
    event: str
    subject_type: str
    subject_key: str | None = None  # body field naming the subject (default: result id / session user)


AUDITED_ROUTES: tuple[AuditedRoute, ...] = (
    AuditedRoute("/sign-up/email", "user.created", "user"),
    AuditedRoute("/sign-out", "session.revoked", "session"),
    AuditedRoute("/revoke-session", "session.revoked", "session", "session_id"),
    AuditedRoute("/revoke-sessions", "session.revoked", "user"),
    AuditedRoute("/revoke-other-sessions", "session.revoked", "user"),
    AuditedRoute("/change-password", "auth_method.password_changed", "user"),
    AuditedRoute("/reset-password", "auth_method.password_reset", "user"),
    AuditedRoute("/email-otp/reset-password", "auth_method.password_reset", "user", "email"),
    AuditedRoute("/verify-email", "user.email_verified", "user"),
    AuditedRoute("/api-key/create", "api_key.created", "api_key"),
    AuditedRoute("/api-key/update", "api_key.updated", "api_key", "key_id"),
    AuditedRoute("/api-key/delete", "api_key.deleted", "api_key", "key_id"),
    AuditedRoute("/admin/create-user", "user.created", "user"),
    AuditedRoute("/admin/update-user", "admin.user_updated", "user", "user_id"),
    AuditedRoute("/admin/set-role", "admin.role_changed", "user", "user_id"),
    AuditedRoute("/admin/ban-user", "admin.user_banned", "user", "user_id"),
    AuditedRoute("/admin/unban-user", "admin.user_unbanned", "user", "user_id"),
    AuditedRoute("/admin/remove-user", "admin.user_removed", "user", "user_id"),
    AuditedRoute("/admin/set-user-password", "admin.password_set", "user", "user_id"),
    AuditedRoute("/admin/impersonate-user", "admin.impersonation_started", "user", "user_id"),
    AuditedRoute("/admin/revoke-user-session", "session.revoked", "session", "session_token"),
    AuditedRoute("/admin/revoke-user-sessions", "session.revoked", "user", "user_id"),
    AuditedRoute("/sso/register-provider", "provider.created", "sso_provider"),
    AuditedRoute("/sso/update-provider", "provider.updated", "sso_provider", "id"),
    AuditedRoute("/sso/delete-provider", "provider.deleted", "sso_provider", "id"),
    AuditedRoute("/sso/register-domain", "provider.domain_registered", "sso_provider", "provider_id"),
    AuditedRoute("/sso/verify-domain", "provider.domain_verified", "sso_domain", "domain"),
    AuditedRoute("/scim/generate-token", "scim.token_generated", "scim_provider"),
    AuditedRoute("/scim/delete-provider-connection", "scim.provider_deleted", "scim_provider"),
    AuditedRoute("/organization/create", "organization.created", "organization"),
    AuditedRoute("/organization/invite-member", "member.invited", "invitation"),
    AuditedRoute("/organization/update-member-role", "role.changed", "member", "member_id"),
    AuditedRoute("/organization/remove-member", "member.removed", "member"),
    AuditedRoute("/organization/accept-invitation", "member.added", "invitation"),
)


def _result_id(result: object) -> str | None:
    if not isinstance(result, dict):
        return None
    for key in ("id", "user", "provider", "invitation", "organization", "member"):
        value = result.get(key)
        if key == "id" and isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            return value["id"]
    return None


def _new_session_token(ctx: EndpointContext) -> str | None:
    for name, value, _ in ctx.set_cookies:
        if name == SESSION_TOKEN_COOKIE and value:
            token = value.rpartition(".")[0]
            if ctx.session is None or token != ctx.session.token:
                return token
    return None


def audit_plugin(audit: AuditWriter, telemetry: Telemetry) -> KerniaPlugin:
    def route_hook(route: AuditedRoute) -> AfterHook:
        async def record(ctx: EndpointContext, result: object) -> None:
            body = body_dict(ctx.body)
            subject = body.get(route.subject_key) if route.subject_key else None
            actor = ctx.session.user_id if ctx.session else None
            subject_id = str(subject) if subject is not None else _result_id(result) or actor
            await audit.record(
                route.event,
                actor_id=actor or (subject_id if route.subject_type == "user" else None),
                subject_type=route.subject_type,
                subject_id=subject_id,
                metadata={"route": route.path, **body},
            )
            if route.path.startswith(("/admin/", "/sso/", "/scim/")):
                telemetry.admin_change(route.event)

        return AfterHook(match=route.path, handler=record)

    async def session_created(ctx: EndpointContext, result: object) -> None:
        token = _new_session_token(ctx)
        if token is None:
            return
        row = await ctx.auth.adapter.find_one(model="session", where=(Where(field="token", value=token),))
        if row is None:
            return
        await audit.record(
            "session.created",
            actor_id=row["userId"],
            subject_type="session",
            subject_id=row["id"],
            metadata={"route": ctx.request.path},
        )

    return hooks_plugin(
        "project-audit",
        after=(
            *(route_hook(route) for route in AUDITED_ROUTES),
            AfterHook(match=lambda ctx: True, handler=session_created),
        ),
    )
