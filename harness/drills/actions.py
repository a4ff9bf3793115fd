"""Old import path, kept until the branches that still import it are merged: use ``harness.actions``."""

from harness.actions import (
    PRICE_ID,
    SSO_CLIENT_ID,
    client_for,
    create_organization,
    deliver_stripe_event,
    expect,
    list_subscriptions,
    promote_admin,
    register_sso_provider,
    scim_users,
    session_user_id,
    sign_in,
    sign_up_verified,
)

__all__ = [
    "PRICE_ID",
    "SSO_CLIENT_ID",
    "client_for",
    "create_organization",
    "deliver_stripe_event",
    "expect",
    "list_subscriptions",
    "promote_admin",
    "register_sso_provider",
    "scim_users",
    "session_user_id",
    "sign_in",
    "sign_up_verified",
]
