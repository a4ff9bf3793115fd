"""Kernia wiring: adapter on the fixed schema, Redis storage and rate limits, every plugin and sender."""

from __future__ import annotations

from typing import Any

import kernia.auth
from kernia.auth import Kernia
from kernia.auth.rate_limit import RedisRateLimitStore
from kernia.plugins.admin import AdminOptions, admin
from kernia.plugins.email_otp import email_otp
from kernia.plugins.email_password import email_and_password
from kernia.plugins.magic_link import magic_link
from kernia.plugins.organization import organization
from kernia.types.init_options import EmailPasswordOptions, KerniaOptions, SessionOptions, VerificationOptions
from kernia.types.plugin import KerniaPlugin
from kernia_api_key import ApiKeyOptions, api_key
from kernia_redis_storage import RedisStorage
from kernia_scim import SCIMOptions, scim
from kernia_sqlalchemy import SQLAlchemyAdapter
from kernia_sso import sso
from kernia_stripe import StripeClient, StripeOptions, StripePlan, stripe

from .audit import AuditWriter
from .audit_hooks import audit_plugin
from .emails import EmailDelivery
from .errors import log_unhandled_errors
from .hardening import hardening_plugin
from .password_reset import password_reset_plugin
from .project import AUTH_PATH, WITH_SMS
from .resources import Resources
from .roles import is_admin_user
from .schema import METADATA, MODELS
from .secret_store import Secrets
from .settings import Settings
from .telemetry import Telemetry


def build_auth(
    settings: Settings,
    secrets: Secrets,
    resources: Resources,
    *,
    delivery: EmailDelivery,
    audit: AuditWriter,
    telemetry: Telemetry,
    hardened: bool,
) -> Kernia:
    storage = RedisStorage(client=resources.redis) if resources.redis is not None else None
    options = KerniaOptions(
        database=SQLAlchemyAdapter(engine=resources.engine, metadata=METADATA, models=MODELS),
        secret=secrets.kernia_secret.get_secret_value(),
        # Defect 2: links are base_url + route, so base_url must carry the mount path.
        base_url=settings.kernia_base_url if hardened else settings.backend_origin,
        base_path=AUTH_PATH,
        trusted_origins=(settings.frontend_url, settings.backend_origin),
        # Defect 9: with required verification, sign-up must not sign the unverified user in.
        email_and_password=EmailPasswordOptions(
            enabled=True, require_email_verification=True, auto_sign_in=not hardened
        ),
        session=SessionOptions(
            expires_in=settings.session_expires_in,
            update_age=settings.session_update_age,
            store_session_in_database=True,
        ),
        verification=VerificationOptions(store_in_database=True),
        secondary_storage=storage,
        rate_limit_store=RedisRateLimitStore(client=storage) if storage is not None else None,
        plugins=_plugins(settings, secrets, resources, delivery, audit, telemetry, hardened),
        advanced=_callbacks(resources, delivery, hardened),
    )
    auth = kernia.auth.init(options)
    if hardened:
        log_unhandled_errors(auth.router)  # defect 8
    return auth


def _plugins(
    settings: Settings,
    secrets: Secrets,
    resources: Resources,
    delivery: EmailDelivery,
    audit: AuditWriter,
    telemetry: Telemetry,
    hardened: bool,
) -> list[KerniaPlugin]:
    stripe_client = StripeClient(
        api_key=secrets.stripe_secret_key.get_secret_value(),
        base_url=settings.stripe_api_base,
        transport=resources.stripe_transport,
    )
    plugins: list[KerniaPlugin] = [
        # Hardening first: its after-hooks must veto a sign-in before other hooks record it.
        *([hardening_plugin()] if hardened else []),
        email_and_password(),
        admin(AdminOptions()),
        api_key(ApiKeyOptions(enable_session_for_api_keys=True)),  # x-api-key authenticates as its owner
        organization(send_invitation=delivery.send_invitation),
        magic_link(),
        email_otp(),
        stripe(
            StripeOptions(
                stripe_client=stripe_client,
                webhook_secret=secrets.stripe_webhook_secret.get_secret_value(),
                plans={
                    name: StripePlan(name=name, price_id=price_id)
                    for name, price_id in settings.stripe_plan_prices.items()
                },
            )
        ),
        sso(),
        scim(SCIMOptions(store_scim_token="hashed")),
        password_reset_plugin(delivery),
        audit_plugin(audit, telemetry),
    ]
    if WITH_SMS:
        from kernia.plugins.phone_number import phone_number

        plugins.append(phone_number())
    return plugins


def _callbacks(resources: Resources, delivery: EmailDelivery, hardened: bool) -> dict[str, Any]:
    sso_options: dict[str, Any] = {"is_admin": is_admin_user} if hardened else {}  # defect 5
    if resources.sso_transport is not None:
        sso_options["http_transport"] = resources.sso_transport
    callbacks: dict[str, Any] = {
        "send_verification_email": delivery.send_verification_email,
        "magic-link": {"send_magic_link": delivery.send_magic_link},
        "email-otp": {"send_otp": delivery.send_otp, "store_otp": "hashed"},
        "sso": sso_options,
    }
    if WITH_SMS and resources.sms is not None:
        sms = resources.sms

        async def send_sms(phone: str, message: str) -> None:
            await sms.send(to=phone, body=message)

        callbacks["phone-number"] = {"send_sms": send_sms}
    return callbacks
