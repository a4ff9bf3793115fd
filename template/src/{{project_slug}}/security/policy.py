"""Who may call each route the backend serves: the one table the gateway enforces (deny by default).

Every Kernia and plugin route under the auth mount and every route of the app itself has exactly one entry.
A served route without an entry is refused at runtime, and the backend refuses to start while one exists
(``unlisted_routes``), so a Kernia upgrade that adds routes cannot open them silently. Kernia's rule that
"no session means a trusted server-side call" never applies: such routes are ``SERVER_ONLY`` here.

Paths under the auth mount are relative to it and use Kernia's ``:param`` templates; app paths are absolute
and use FastAPI's ``{param}`` templates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Access(StrEnum):
    """The least a caller must present. Each level names who passes it in ``ADMITS``."""

    PUBLIC = "anyone"  # anonymous included
    USER = "a signed-in user"  # a session cookie of a user who is not banned
    ADMIN = "an instance admin"  # a session of a user with role admin, not banned
    ORG_MEMBER = "a member of the organization"  # the organization the request names (body/query/active)
    ORG_ADMIN = "an admin or owner of the organization"
    ORG_OWNER = "an owner of the organization"
    SCIM = "a SCIM token"  # Authorization: Bearer <SCIM token>; Kernia scopes it to its provider
    STRIPE = "a Stripe signature"  # Stripe-Signature, verified before Kernia sees the body
    OPERATOR = "the operator token"  # Authorization: Bearer <ops_token from the secret manager>
    SERVER_ONLY = "no HTTP caller"  # in-process only: answers 404


# Caller kinds the gateway recognises, and the access levels each one satisfies.
ADMITS: Mapping[str, frozenset[Access]] = {
    "anonymous": frozenset({Access.PUBLIC}),
    "user": frozenset({Access.PUBLIC, Access.USER}),
    "admin": frozenset({Access.PUBLIC, Access.USER, Access.ADMIN}),
    # Kernia 0.1.0 honours an x-api-key only on get-session (its session-required routes ignore it), so a key
    # passes no gate here; a banned user's key is still recognised and refused.
    "api_key": frozenset({Access.PUBLIC}),
    "scim": frozenset({Access.PUBLIC, Access.SCIM}),
    "stripe": frozenset({Access.PUBLIC, Access.STRIPE}),
    "operator": frozenset({Access.PUBLIC, Access.OPERATOR}),
}
ORG_ROLE_RANK: Mapping[str, int] = {"member": 1, "admin": 2, "owner": 3}
ORG_ACCESS_RANK: Mapping[Access, int] = {Access.ORG_MEMBER: 1, Access.ORG_ADMIN: 2, Access.ORG_OWNER: 3}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    access: Access
    body_limit: int = 64 * 1024  # bytes; larger bodies answer 413 before anything reads them
    form: bool = False  # also accepts application/x-www-form-urlencoded (SAML HTTP-POST binding)


def _routes(access: Access, *specs: str, **options: object) -> list[Route]:
    return [Route(*spec.split(" ", 1), access, **options) for spec in specs]  # type: ignore[arg-type]


A = Access
AUTH_ROUTES: tuple[Route, ...] = (
    # --- anyone: sign-up, sign-in and the flows that start from an email or an identity provider
    *_routes(
        A.PUBLIC,
        "GET /ok",
        "GET /error",
        "GET /get-session",
        "POST /sign-up/email",
        "POST /sign-in/email",
        "POST /sign-in/magic-link",
        "POST /sign-in/email-otp",
        "POST /sign-in/social",
        "POST /sign-out",
        "GET /magic-link/verify",
        "POST /send-verification-email",
        "GET /verify-email",
        "POST /verify-email",
        "POST /forget-password",
        "POST /forget-password/email-otp",
        "POST /reset-password",
        "POST /email-otp/send-verification-otp",
        "POST /email-otp/check-verification-otp",
        "POST /email-otp/verify",
        "POST /email-otp/verify-email",
        "POST /email-otp/request-password-reset",
        "POST /email-otp/reset-password",
        "GET /callback/:provider",
        "POST /callback/:provider",
        "GET /sso/oidc/sign-in/:provider_id",
        "GET /sso/oidc/callback/:provider_id",
        "GET /sso/saml/sign-in/:provider_id",
        "GET /sso/saml/metadata/:provider_id",
        "POST /sso/saml/slo/:provider_id",
        "POST /sign-in/phone-number",
        "POST /phone-number/send-otp",
        "POST /phone-number/verify",
        "POST /phone-number/request-password-reset",
        "POST /phone-number/reset-password",
    ),
    Route("POST", "/sso/saml/acs/:provider_id", A.PUBLIC, form=True),
    # --- a signed-in user acting on their own account
    *_routes(
        A.USER,
        "POST /update-user",
        "POST /change-email",
        "POST /change-password",
        "POST /delete-user",
        "POST /update-session",
        "POST /revoke-session",
        "POST /revoke-sessions",
        "POST /revoke-other-sessions",
        "POST /unlink-account",
        "POST /get-access-token",
        "POST /email-otp/change-email",
        "POST /email-otp/request-email-change",
        "POST /api-key/create",
        "POST /api-key/update",
        "POST /api-key/delete",
        "POST /admin/stop-impersonating",
        "POST /organization/create",
        "POST /organization/check-slug",
        "POST /organization/set-active",
        "POST /organization/leave",
        "POST /organization/accept-invitation",
        "POST /organization/reject-invitation",
        "GET /organization/get-invitation",
        "GET /organization/list-user-invitations",
        "POST /stripe/checkout-session",
        "POST /stripe/resume-subscription",
        "POST /subscription/upgrade",
        "POST /subscription/cancel",
        "POST /subscription/restore",
        "POST /subscription/billing-portal",
    ),
    *_routes(
        A.USER,
        "GET /sso/providers",
        "GET /list-sessions",
        "GET /list-accounts",
        "GET /api-key/get",
        "GET /api-key/list",
        "GET /organization/list",
        "GET /stripe/list-subscriptions",
        "GET /subscription/list",
    ),
    # --- the organization the request names (organizationId in the body or query, else the active one)
    *_routes(
        A.ORG_MEMBER,
        "GET /organization/get",
        "GET /organization/get-full-organization",
        "GET /organization/get-active-member",
        "GET /organization/get-active-member-role",
        "GET /organization/list-members",
        "GET /organization/list-invitations",
        "POST /organization/has-permission",
    ),
    *_routes(
        A.ORG_ADMIN,
        "POST /organization/update",
        "POST /organization/invite-member",
        "POST /organization/cancel-invitation",
        "POST /organization/remove-member",
        "POST /organization/update-member-role",
        "POST /scim/generate-token",
        "GET /scim/list-provider-connections",
        "GET /scim/get-provider-connection",
        "POST /scim/delete-provider-connection",
    ),
    *_routes(A.ORG_OWNER, "POST /organization/delete"),
    # --- instance administration (users, roles, bans, impersonation, identity providers)
    *_routes(
        A.ADMIN,
        "POST /admin/create-user",
        "POST /admin/get-user",
        "POST /admin/list-users",
        "POST /admin/update-user",
        "POST /admin/set-role",
        "POST /admin/set-user-password",
        "POST /admin/ban-user",
        "POST /admin/unban-user",
        "POST /admin/impersonate-user",
        "POST /admin/list-user-sessions",
        "POST /admin/revoke-user-session",
        "POST /admin/revoke-user-sessions",
        "POST /admin/remove-user",
        "POST /admin/has-permission",
        "POST /sso/register-provider",
        "POST /sso/update-provider",
        "POST /sso/delete-provider",
        "GET /sso/get-provider",
        "GET /sso/list-providers",
        "POST /sso/register-domain",
        "POST /sso/verify-domain",
    ),
    # --- SCIM provisioning, with a SCIM bearer token
    *_routes(
        A.SCIM,
        "GET /scim/v2/ServiceProviderConfig",
        "GET /scim/v2/Schemas",
        "GET /scim/v2/Schemas/:schemaId",
        "GET /scim/v2/ResourceTypes",
        "GET /scim/v2/ResourceTypes/:resourceTypeId",
        "GET /scim/v2/Users",
        "GET /scim/v2/Users/:userId",
        "DELETE /scim/v2/Users/:userId",
        body_limit=1024 * 1024,
    ),
    *_routes(A.SCIM, "POST /scim/v2/Users", "PUT /scim/v2/Users/:userId", "PATCH /scim/v2/Users/:userId"),
    Route("POST", "/stripe/webhook", A.STRIPE, body_limit=1024 * 1024),
    # --- helpers Kernia exposes that must only ever run in-process: they mint OTPs or probe keys
    *_routes(
        A.SERVER_ONLY,
        "POST /email-otp/create-verification-otp",
        "POST /email-otp/get-verification-otp",
        "POST /api-key/verify",
        "POST /api-key/delete-all-expired-api-keys",
    ),
)

APP_ROUTES: tuple[Route, ...] = (
    *_routes(A.PUBLIC, "GET /healthz", "GET /readyz", "GET {auth}/reset-password/{token}"),
    *_routes(A.ADMIN, "GET /admin/audit-events"),
    *_routes(A.OPERATOR, "GET /metrics", "GET /internal/routes"),
)


@dataclass(frozen=True)
class RouteTable:
    """The policy table with the app paths resolved against the auth mount."""

    auth: Mapping[tuple[str, str], Route]
    app: Mapping[tuple[str, str], Route]

    @classmethod
    def build(cls, auth_path: str) -> RouteTable:
        app = [Route(r.method, r.path.replace("{auth}", auth_path), r.access) for r in APP_ROUTES]
        return cls({(r.method, r.path): r for r in AUTH_ROUTES}, {(r.method, r.path): r for r in app})

    def unlisted(
        self, auth_served: Iterable[tuple[str, str]], app_served: Iterable[tuple[str, str]]
    ) -> list[str]:
        """Served routes without a policy entry, as "METHOD path" (app paths absolute)."""
        missing = [f"{m} {p} (auth mount)" for m, p in auth_served if (m, p) not in self.auth]
        return missing + [f"{m} {p}" for m, p in app_served if (m, p) not in self.app]

    def rows(
        self,
        auth_path: str,
        auth_served: Iterable[tuple[str, str]],
        app_served: Iterable[tuple[str, str]],
        limits: Callable[[str, str], Mapping[str, Any] | None] = lambda method, path: None,
    ) -> list[dict[str, Any]]:
        """Every served route with its policy ("UNLISTED" when it has none) and, under the auth mount, its
        rate limit; absolute paths."""
        rows = [
            {**_row(m, auth_path + p, self.auth.get((m, p))), "limit": limits(m, p)} for m, p in auth_served
        ]
        rows += [_row(m, p, self.app.get((m, p))) for m, p in app_served]
        return sorted(rows, key=lambda row: (row["path"], row["method"]))


def _row(method: str, path: str, route: Route | None) -> dict[str, Any]:
    return {"method": method, "path": path, "access": route.access.name if route else "UNLISTED"}
