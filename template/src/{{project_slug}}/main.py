"""App factory. ``app = create_app()`` reads nothing and connects nowhere at import time: settings,
Vault secrets, the database, Redis and Kernia are set up in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from kernia.auth import Kernia

from . import admin_api, security
from .audit import AuditWriter
from .auth import build_auth
from .client_ip import RequestContextMiddleware
from .cors import FrontendCORS
from .database import migration_head
from .email_links import EmailLinkLanding
from .emails import EmailDelivery, EmailLinks
from .errors import unhandled_exception_handler
from .health import check_database, check_migrations, check_redis, readiness
from .mount import LazyMount, build_auth_app
from .password_reset import reset_redirect_target
from .project import AUTH_PATH, OBSERVABILITY, PROJECT_NAME
from .request_connection import RequestConnection
from .resources import Resources, ResourcesFactory, open_resources
from .rotation import CookieRotationShim
from .secret_store import Secrets, load_secrets
from .security import SecurityDeps
from .security.callers import Caller, CallerResolver
from .security.policy import RouteTable
from .settings import Settings
from .telemetry import Telemetry
from .webhooks import StripeEventLog

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything built at startup; ``None`` until the lifespan has run."""

    resources_factory: ResourcesFactory
    telemetry: Telemetry
    settings: Settings | None = None
    secrets: Secrets | None = None
    resources: Resources | None = None
    kernia: Kernia | None = None
    audit: AuditWriter | None = None
    migration_head: str | None = None
    mount: LazyMount = field(default_factory=LazyMount)

    async def start(self) -> None:
        settings = self.settings = self.settings or Settings()  # type: ignore[call-arg]
        _configure_logging(settings.log_level)
        secrets = self.secrets = self.secrets or load_secrets(settings)
        resources = self.resources = self.resources_factory(settings, secrets)
        self.audit = AuditWriter(resources.engine, fanout=resources.audit_fanout)
        delivery = EmailDelivery(
            mailer=resources.mailer,
            links=EmailLinks(settings.kernia_base_url, settings.frontend_url),
            telemetry=self.telemetry,
        )
        deps = SecurityDeps(settings, delivery, self.audit, self.telemetry, resources.redis)
        self.kernia = build_auth(settings, secrets, resources, deps)
        await self.kernia.context.ensure_initialized()
        self.migration_head = migration_head()
        self.mount.app = EmailLinkLanding(
            build_auth_app(
                self.kernia,
                mount_path=AUTH_PATH,
                deps=deps,
                stripe_events=StripeEventLog(resources.engine),
                webhook_secret=secrets.stripe_webhook_secret.get_secret_value(),
            ),
            mount_path=AUTH_PATH,
            frontend_url=settings.frontend_url,
        )
        log.info("%s started (auth base %s)", PROJECT_NAME, settings.kernia_base_url)

    async def stop(self) -> None:
        self.mount.app = None
        if self.resources is not None:
            await self.resources.close()

    def previous_secrets(self) -> tuple[str, ...]:
        if self.secrets is None:
            return ()
        return tuple(s.get_secret_value() for s in self.secrets.previous_kernia_secrets)

    def signing_secrets(self) -> tuple[str, ...]:
        if self.secrets is None:
            return ()
        return (self.secrets.kernia_secret.get_secret_value(), *self.previous_secrets())

    def operator_token(self) -> str | None:
        token = self.secrets.ops_token if self.secrets else None
        return token.get_secret_value() if token else None

    def auth_routes(self) -> list[tuple[str, str]]:
        """(method, path) of every route Kernia serves under the mount."""
        if self.kernia is None:
            return []
        router = self.kernia.router
        return [*router._endpoints, *((m, "/" + "/".join(parts)) for m, parts, _ in router._dynamic)]


def _configure_logging(level: str) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger(__package__).setLevel(level.upper())


def _telemetry() -> Telemetry:
    if OBSERVABILITY == "none":
        return Telemetry()
    from .metrics import PrometheusTelemetry

    return PrometheusTelemetry()


def create_app(
    settings: Settings | None = None,
    *,
    resources: ResourcesFactory | None = None,
    secrets: Secrets | None = None,
) -> FastAPI:
    """Build the app. ``resources`` and ``secrets`` replace the production connections and the
    Vault/environment secrets (unit tests)."""
    runtime = Runtime(
        resources_factory=resources or open_resources,
        telemetry=_telemetry(),
        settings=settings,
        secrets=secrets,
    )
    table = RouteTable.build(AUTH_PATH)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            unlisted = table.unlisted(runtime.auth_routes(), _app_routes(app))
            if unlisted:
                raise RuntimeError(
                    "refusing to start: routes without an access policy in security/policy.py: "
                    + ", ".join(unlisted)
                )
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=PROJECT_NAME, lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = runtime
    _add_routes(app, runtime, table)
    app.mount(AUTH_PATH, runtime.mount)
    app.add_middleware(
        security.gateway_layer,  # type: ignore[arg-type]
        auth_path=AUTH_PATH,
        kernia_router=lambda: runtime.kernia.router if runtime.kernia and runtime.mount.app else None,
        app_routes=lambda: app.router.routes,
        resolver=CallerResolver(
            adapter=lambda: runtime.kernia.context.adapter if runtime.kernia else None,
            secrets=runtime.signing_secrets,
            operator_token=runtime.operator_token,
        ),
    )
    app.add_middleware(
        CookieRotationShim,
        auth_context=lambda: runtime.kernia.context if runtime.kernia else None,
        previous=runtime.previous_secrets,
    )
    # Outside every layer that reads Kernia's tables (the gateway's caller lookup, the rotation shim).
    app.add_middleware(
        RequestConnection,  # type: ignore[arg-type]
        engine=lambda: runtime.resources.engine if runtime.resources and runtime.mount.app else None,
    )
    app.add_middleware(
        security.cookie_layer,  # type: ignore[arg-type]
        secure=lambda: bool(runtime.settings and runtime.settings.kernia_base_url.startswith("https://")),
    )
    app.add_middleware(
        FrontendCORS, origin=lambda: runtime.settings.frontend_url if runtime.settings else None
    )
    app.add_middleware(
        RequestContextMiddleware,
        trusted_proxies=security.trusted_proxies(
            lambda: runtime.settings.trusted_proxy_networks if runtime.settings else ()
        ),
    )
    app.add_exception_handler(Exception, unhandled_exception_handler)
    return app


def _app_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves outside the Kernia mount; a route without a path (an
    included router) is listed as such, so the startup check refuses it instead of leaving it unseen."""
    served = []
    for route in app.router.routes:
        if not hasattr(route, "path"):
            served.append(("ANY", f"<{type(route).__name__} without a path>"))
        served += [(m, route.path) for m in sorted(getattr(route, "methods", None) or ()) if m != "HEAD"]
    return served


def _caller(request: Request) -> Caller | None:
    return request.scope.get("state", {}).get("caller")


def _add_routes(app: FastAPI, runtime: Runtime, table: RouteTable) -> None:
    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Status for everyone; which dependency failed and why only for the operator token."""
        assert runtime.resources is not None
        engine = runtime.resources.engine
        checks = [
            await check_database(engine),
            await check_redis(runtime.resources.redis),
            await check_migrations(engine, runtime.migration_head),
        ]
        status, body = readiness(checks)
        caller = _caller(request)
        if caller is None or caller.kind != "operator":
            body = {"status": body["status"]}
        return JSONResponse(body, status_code=status)

    @app.get("/internal/routes")
    async def internal_routes() -> dict[str, Any]:
        """Served routes with their access policies and rate limits (operator token only): what the
        rehearsal proves."""
        rows = table.rows(AUTH_PATH, runtime.auth_routes(), _app_routes(app), security.route_limit)
        return {"routes": rows}

    @app.get(AUTH_PATH + "/reset-password/{token}")
    async def reset_password_link(
        token: str, callback_url: Annotated[str | None, Query(alias="callbackURL")] = None
    ) -> RedirectResponse:
        assert runtime.kernia is not None and runtime.settings is not None
        target = await reset_redirect_target(
            runtime.kernia, token, callback_url, runtime.settings.frontend_url
        )
        return RedirectResponse(target, status_code=302)

    # Route by route, not include_router: FastAPI 0.165 serves an included router as one opaque route without
    # a path, which the route table's startup check, the gateway and /internal/routes (the matrix) cannot see.
    app.router.routes.extend(admin_api.router.routes)
    if OBSERVABILITY != "none":
        from .metrics import metrics_route

        app.add_api_route("/metrics", metrics_route(runtime), methods=["GET"], include_in_schema=False)


app = create_app()
