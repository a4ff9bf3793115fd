"""App factory. ``app = create_app()`` reads nothing and connects nowhere at import time: settings,
Vault secrets, the database, Redis and Kernia are set up in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse, RedirectResponse
from kernia.auth import Kernia

from . import admin_api
from .audit import AuditWriter
from .auth import build_auth
from .client_ip import RequestContextMiddleware
from .cors import FrontendCORS
from .database import migration_head
from .emails import EmailDelivery, EmailLinks
from .errors import unhandled_exception_handler
from .gateway import LazyMount, build_auth_app
from .health import check_database, check_migrations, check_redis, readiness
from .password_reset import reset_redirect_target
from .project import AUTH_PATH, OBSERVABILITY, PROJECT_NAME
from .resources import Resources, ResourcesFactory, open_resources
from .rotation import CookieRotationShim
from .secret_store import Secrets, load_secrets
from .settings import Settings
from .telemetry import Telemetry
from .webhooks import StripeEventLog

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything built at startup; ``None`` until the lifespan has run."""

    hardened: bool
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
            retry=resources.email_retry,
        )
        self.kernia = build_auth(
            settings,
            secrets,
            resources,
            delivery=delivery,
            audit=self.audit,
            telemetry=self.telemetry,
            hardened=self.hardened,
        )
        await self.kernia.context.ensure_initialized()
        self.migration_head = migration_head()
        self.mount.app = build_auth_app(
            self.kernia,
            mount_path=AUTH_PATH,
            audit=self.audit,
            telemetry=self.telemetry,
            stripe_events=StripeEventLog(resources.engine),
            webhook_secret=secrets.stripe_webhook_secret.get_secret_value(),
            hardened=self.hardened,
        )
        log.info(
            "%s started (hardened=%s, auth base %s)", PROJECT_NAME, self.hardened, settings.kernia_base_url
        )

    async def stop(self) -> None:
        self.mount.app = None
        if self.resources is not None:
            await self.resources.close()

    def previous_secrets(self) -> tuple[str, ...]:
        if self.secrets is None:
            return ()
        return tuple(s.get_secret_value() for s in self.secrets.previous_kernia_secrets)


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
    hardened: bool = True,
    resources: ResourcesFactory | None = None,
    secrets: Secrets | None = None,
) -> FastAPI:
    """Build the app. ``hardened=False`` omits the Kernia 0.1.0 security fixes (for intrusion-check proofs
    only; no environment variable selects it). ``resources`` and ``secrets`` replace the production
    connections and the Vault/environment secrets (unit tests)."""
    runtime = Runtime(
        hardened=hardened,
        resources_factory=resources or open_resources,
        telemetry=_telemetry(),
        settings=settings,
        secrets=secrets,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=PROJECT_NAME, lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = runtime
    _add_routes(app, runtime)
    app.mount(AUTH_PATH, runtime.mount)
    app.add_middleware(
        CookieRotationShim,
        auth_context=lambda: runtime.kernia.context if runtime.kernia else None,
        previous=runtime.previous_secrets,
    )
    app.add_middleware(
        FrontendCORS, origin=lambda: runtime.settings.frontend_url if runtime.settings else None
    )
    app.add_middleware(
        RequestContextMiddleware,
        trusted_proxies=(lambda: runtime.settings.trusted_proxy_networks if runtime.settings else ())
        if hardened
        else None,
    )
    if hardened:
        app.add_exception_handler(Exception, unhandled_exception_handler)
    return app


def _add_routes(app: FastAPI, runtime: Runtime) -> None:
    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        assert runtime.resources is not None
        engine = runtime.resources.engine
        checks = [
            await check_database(engine),
            await check_redis(runtime.resources.redis),
            await check_migrations(engine, runtime.migration_head),
        ]
        status, body = readiness(checks)
        return JSONResponse(body, status_code=status)

    @app.get(AUTH_PATH + "/reset-password/{token}")
    async def reset_password_link(
        token: str, callback_url: Annotated[str | None, Query(alias="callbackURL")] = None
    ) -> RedirectResponse:
        assert runtime.kernia is not None and runtime.settings is not None
        target = await reset_redirect_target(
            runtime.kernia, token, callback_url, runtime.settings.frontend_url
        )
        return RedirectResponse(target, status_code=302)

    app.include_router(admin_api.router)
    if OBSERVABILITY != "none":
        from .metrics import metrics_route

        app.add_api_route("/metrics", metrics_route(runtime), methods=["GET"], include_in_schema=False)


app = create_app()
