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
from kernia.types.init_options import KerniaOptions, SessionOptions, VerificationOptions
from kernia.types.plugin import KerniaPlugin
from kernia_api_key import ApiKeyOptions, api_key
from kernia_redis_storage import RedisStorage
from kernia_scim import scim
from kernia_sso import sso
from kernia_stripe import StripeClient, StripeOptions, StripePlan, stripe

from . import security
from .audit_hooks import audit_plugin
from .emails import EmailDelivery
from .password_reset import password_reset_plugin
from .project import AUTH_PATH, WITH_SMS
from .request_connection import LeasingAdapter
from .resources import Resources
from .schema import METADATA, MODELS
from .secret_store import Secrets
from .security import SecurityDeps
from .settings import Settings


def build_auth(settings: Settings, secrets: Secrets, resources: Resources, deps: SecurityDeps) -> Kernia:
    storage = RedisStorage(client=resources.redis) if resources.redis is not None else None
    options = KerniaOptions(
        database=LeasingAdapter(engine=resources.engine, metadata=METADATA, models=MODELS),
        secret=secrets.kernia_secret.get_secret_value(),
        # Links are base_url + route, so base_url must carry the mount path (Kernia's example omits it).
        base_url=settings.kernia_base_url,
        base_path=AUTH_PATH,
        trusted_origins=(settings.frontend_url, settings.backend_origin),
        email_and_password=security.email_password_options(),
        session=SessionOptions(
            expires_in=settings.session_expires_in,
            update_age=settings.session_update_age,
            store_session_in_database=True,
        ),
        verification=VerificationOptions(store_in_database=True),
        secondary_storage=storage,
        rate_limit_store=RedisRateLimitStore(client=storage) if storage is not None else None,
        plugins=_plugins(settings, secrets, resources, deps),
        advanced=_callbacks(resources, deps.delivery),
    )
    auth = kernia.auth.init(options)
    security.harden_router(auth.router)
    return auth


def _plugins(
    settings: Settings, secrets: Secrets, resources: Resources, deps: SecurityDeps
) -> list[KerniaPlugin]:
    stripe_client = StripeClient(
        api_key=secrets.stripe_secret_key.get_secret_value(),
        base_url=settings.stripe_api_base,
        transport=resources.stripe_transport,
    )
    plugins: list[KerniaPlugin] = [
        # Defences first: their after-hooks must veto a sign-in before other hooks record it.
        *security.kernia_plugins(deps),
        email_and_password(),
        admin(AdminOptions()),
        api_key(ApiKeyOptions(enable_session_for_api_keys=True)),  # x-api-key authenticates as its owner
        organization(send_invitation=deps.delivery.send_invitation),
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
        scim(security.scim_options()),
        password_reset_plugin(deps.delivery),
        audit_plugin(deps.audit, deps.telemetry),
    ]
    if WITH_SMS:
        from kernia.plugins.phone_number import phone_number

        plugins.append(phone_number())
    return plugins


def _callbacks(resources: Resources, delivery: EmailDelivery) -> dict[str, Any]:
    sso_options: dict[str, Any] = security.sso_callbacks()
    if resources.sso_transport is not None:
        sso_options["http_transport"] = resources.sso_transport
    callbacks: dict[str, Any] = {
        "send_verification_email": delivery.send_verification_email,
        "magic-link": {"send_magic_link": delivery.send_magic_link},
        "email-otp": {"send_otp": delivery.send_otp, **security.email_otp_callbacks()},
        "sso": sso_options,
    }
    if WITH_SMS and resources.sms is not None:
        sms = resources.sms

        async def send_sms(phone: str, message: str) -> None:
            await sms.send(to=phone, body=message)

        callbacks["phone-number"] = {"send_sms": send_sms}
    return callbacks
