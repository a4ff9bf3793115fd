"""Every defence the backend adds to Kernia 0.1.0, composed here and nowhere else.

``main``, ``auth`` and ``mount`` call these functions through this module, so the composition is the one place
that decides what protects the backend: the policy gateway in front of everything, Kernia plugins whose hooks
close the library's defects, the Kernia options that differ from its defaults for safety, and the layers in
front of Kernia's router. (The harness repository's negative controls build the backend with each of these
replaced by Kernia's stock behaviour, and require every security check to fail against that build.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kernia.api.router import Router
from kernia.types.init_options import EmailPasswordOptions
from kernia.types.plugin import KerniaPlugin
from kernia_scim import SCIMOptions
from starlette.routing import BaseRoute

from ..asgi import ASGIApp
from ..audit import AuditWriter
from ..audit_sampling import SampledAudit
from ..errors import InternalErrorScrubber, log_unhandled_errors
from ..roles import is_admin_user
from ..settings import IPNetwork
from ..webhooks import WEBHOOK_ROUTE, StripeWebhookGuard
from . import abuse, accounts, billing, kernia_defects, sessions, tenancy
from .callers import CallerResolver
from .cookie_prefix import HostPrefixedCookies
from .deps import SecurityDeps
from .gateway import PolicyGateway
from .policy import RouteTable

__all__ = ["SecurityDeps"]


def kernia_plugins(deps: SecurityDeps) -> list[KerniaPlugin]:
    """Hook plugins that run before Kernia's own (their before-hooks veto, their after-hooks undo)."""
    account_inputs, account_rules = accounts.plugins(deps)
    return [
        account_inputs,  # normalised, single addresses and on-site callback URLs: no secret involved yet
        abuse.limits_plugin(deps),  # per client and per target; a refused caller costs nothing further
        kernia_defects.plugin(),
        account_rules,  # flow tokens, pre-hijack, reset eviction, deletion, equal timing
        tenancy.plugin(deps),
        billing.plugin(),  # billing references and subscriptions: the caller's own only
        sessions.plugin(deps),
        abuse.hashing_plugin(),  # argon2 for what passed, off the event loop
    ]


def email_password_options() -> EmailPasswordOptions:
    # Kernia's default auto_sign_in signs an unverified user in on sign-up despite required verification.
    return EmailPasswordOptions(enabled=True, require_email_verification=True, auto_sign_in=False)


def sso_callbacks() -> dict[str, Any]:
    # Without is_admin any signed-in user may register an identity provider.
    return {"is_admin": is_admin_user, **tenancy.sso_callbacks()}


def scim_options() -> SCIMOptions:
    return tenancy.scim_options()


def email_otp_callbacks() -> dict[str, Any]:
    return {"store_otp": "hashed"}


def harden_router(router: Router) -> None:
    """Kernia answers unhandled errors with ``str(exc)`` (SQL included) and logs nothing."""
    log_unhandled_errors(router)


def trusted_proxies(networks: Callable[[], Sequence[IPNetwork]]) -> Callable[[], Sequence[IPNetwork]] | None:
    """The X-Forwarded-For rule (None would let any client choose its own rate-limit bucket)."""
    return networks


def mount_layers(app: ASGIApp, deps: SecurityDeps, *, stripe_events: Any, webhook_secret: str) -> ASGIApp:
    """Layers between the gateway and Kernia's router: webhook verification and replay, 500 scrubbing."""
    app = StripeWebhookGuard(
        app,
        path=WEBHOOK_ROUTE,
        webhook_secret=webhook_secret,
        events=stripe_events,
        audit=deps.audit,
        telemetry=deps.telemetry,
    )
    return InternalErrorScrubber(app)


def gateway_layer(
    app: ASGIApp,
    *,
    auth_path: str,
    kernia_router: Callable[[], Router | None],
    app_routes: Callable[[], Sequence[BaseRoute]],
    resolver: CallerResolver,
) -> ASGIApp:
    """The policy gateway: every route's access rule, body limits and checks, before anything else runs."""
    return PolicyGateway(
        app,
        table=RouteTable.build(auth_path),
        auth_path=auth_path,
        kernia_router=kernia_router,
        app_routes=app_routes,
        resolver=resolver,
    )


def cookie_layer(app: ASGIApp, *, secure: Callable[[], bool]) -> ASGIApp:
    """``__Host-`` session cookies whenever the backend is served over https."""
    return HostPrefixedCookies(app, secure=secure)


def route_limit(method: str, path: str) -> dict[str, Any] | None:
    """The rate limit of an auth route as /internal/routes reports it (a description, not a defence)."""
    return abuse.describe(method, path)


def flood_audit(audit: AuditWriter) -> SampledAudit:
    """429s are what anyone can cause without limit: audited once a minute per route and client, not each."""
    return SampledAudit(audit)
