"""Step 6, SSO: only admins register providers, and an OIDC sign-in is refused outside the provider's verified domains.

The identity provider is the stack's OIDC test provider; it signs in whoever the check queues next, so SSO checks
run on one xdist worker (the queue is the IdP's, not per test).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from harness.actions import SSO_CLIENT_ID as CLIENT_ID
from harness.actions import register_sso_provider as register_provider
from harness.client import Account, AuthClient, unique_email
from harness.deploy.context import Context
from harness.services.oidc import control

from .flows import ClientFactory

pytestmark = pytest.mark.xdist_group("sso")


def oidc_callback_url(client: AuthClient, ctx: Context, provider_id: str, email: str) -> str:
    """Walk the browser through the OIDC code flow up to the callback, the IdP asserting ``email``; returns the
    callback URL (code and state) without opening it."""
    identity = {"email": email, "email_verified": True}
    queued = control.next_user(ctx.endpoints.oidc_issuer, identity)
    queued.raise_for_status()
    start = client.get(f"/sso/oidc/sign-in/{provider_id}", follow_redirects=False)
    assert start.status_code in (302, 303), f"SSO sign-in did not redirect to the IdP: {start.status_code} {start.text}"
    authorize = client.http.get(start.headers["location"], follow_redirects=False)
    assert authorize.status_code == 302, f"the IdP refused the authorize request: {authorize.text}"
    return authorize.headers["location"]


def sso_sign_in(client: AuthClient, ctx: Context, provider_id: str, email: str) -> httpx.Response:
    """Walk the browser through the OIDC code flow with the IdP asserting ``email``; returns the callback answer."""
    return client.http.get(oidc_callback_url(client, ctx, provider_id, email), follow_redirects=False)


@pytest.mark.intrusion
def test_sso_provider_registration_requires_admin(signed_in: tuple[AuthClient, Account], ctx: Context) -> None:
    client, _ = signed_in
    response = client.post(
        "/sso/register-provider",
        {
            "issuer": f"{ctx.endpoints.oidc_issuer}/tenants/rogue",
            "kind": "oidc",
            "domains": ["rogue.example"],
            "oidcConfig": {"issuer": ctx.endpoints.oidc_issuer, "clientId": CLIENT_ID, "clientSecret": "x"},
        },
    )
    assert response.status_code in (401, 403), f"a non-admin registered an SSO provider ({response.status_code})"


def test_sso_sign_in_inside_verified_domain_works(
    admin_client: AuthClient, new_client: ClientFactory, ctx: Context
) -> None:
    """Positive control: without it, the refusal below could just mean that SSO is broken."""
    domain = f"corp-{uuid.uuid4().hex[:8]}.example"
    provider_id = register_provider(admin_client, ctx, domain)
    client = new_client()
    email = unique_email("employee", domain)
    callback = sso_sign_in(client, ctx, provider_id, email)
    assert callback.status_code in (200, 302), f"SSO callback failed: {callback.status_code} {callback.text}"
    session = client.get_session()
    assert session is not None and session["user"]["email"] == email


@pytest.mark.intrusion
def test_sso_sign_in_outside_provider_domains_is_refused(
    admin_client: AuthClient, new_client: ClientFactory, verified_account: Callable[..., Account], ctx: Context
) -> None:
    provider_id = register_provider(admin_client, ctx, f"corp-{uuid.uuid4().hex[:8]}.example")
    victim = verified_account("sso-victim", f"victim-{uuid.uuid4().hex[:8]}.example")
    attacker = new_client()
    callback = sso_sign_in(attacker, ctx, provider_id, victim.email)
    session = attacker.get_session()
    assert session is None, (
        f"the IdP signed in {victim.email}, outside the provider's domains (callback {callback.status_code})"
    )


@pytest.mark.intrusion
def test_oidc_callback_signs_in_only_the_browser_that_started_it(
    admin_client: AuthClient, new_client: ClientFactory, ctx: Context
) -> None:
    """N6: a callback URL the attacker stopped at (their code, their state) must not sign a victim's browser into
    the attacker's account, and a sign-in must not take a foreign callbackURL. The attacker's own browser then
    completes the same callback (the positive control)."""
    domain = f"corp-{uuid.uuid4().hex[:8]}.example"
    provider_id = register_provider(admin_client, ctx, domain)
    attacker, victim = new_client(), new_client()
    foreign = attacker.get(
        f"/sso/oidc/sign-in/{provider_id}", params={"callbackURL": "https://evil.example/"}, follow_redirects=False
    )
    assert foreign.status_code == 400, (
        f"SSO sign-in with callbackURL=https://evil.example/ answered {foreign.status_code}"
    )
    email = unique_email("mallory", domain)
    callback = oidc_callback_url(attacker, ctx, provider_id, email)
    opened = victim.http.get(callback, follow_redirects=False)
    session = victim.get_session()
    assert session is None, (
        f"opening the attacker's OIDC callback URL signed the victim's browser in as "
        f"{session['user']['email']} (callback {opened.status_code})"
    )
    own = attacker.http.get(callback, follow_redirects=False)
    assert own.status_code in (200, 302), (
        f"the browser that started the sign-in was refused: {own.status_code} {own.text}"
    )
    session = attacker.get_session()
    assert session is not None and session["user"]["email"] == email
