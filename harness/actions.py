"""Actions on a deployed backend through its public API, shared by the drills and the checks (beside harness.client).

Everything here goes through HTTP as a browser, an operator or Stripe would: the drills seed data this way (never
by SQL) so a backup holds what the application itself wrote.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from harness.app import run_manage
from harness.client import SESSION_COOKIE, Account, AuthClient, links_in
from harness.deploy.context import Context
from harness.services.dns.fake import control_url, publish_txt
from harness.services.mail.client import MailpitClient
from harness.services.oidc import control

SSO_CLIENT_ID = control.CLIENT_ID
PRICE_ID = "price_pro_monthly"  # the rendered backend's default STRIPE_PLANS: pro=price_pro_monthly


class DrillError(RuntimeError):
    """An action (or a drill) could not set up what it checks; the message names the call and the answer."""


def require(condition: object, message: str) -> None:
    """An assertion in harness code (drills, the signals phase): unlike ``assert`` it survives ``python -O`` and
    fails as a DrillError."""
    if not condition:
        raise DrillError(message)


def expect(response: httpx.Response, what: str, ok: tuple[int, ...] = (200,)) -> Any:
    """The JSON answer of a call that must succeed; otherwise a DrillError naming the call and its answer."""
    if response.status_code not in ok:
        raise DrillError(f"{what} answered {response.status_code}: {response.text[:300]}")
    return response.json() if response.content else None


def client_for(auth_base_url: str, origin: str, *, cookie: str | None = None) -> AuthClient:
    """A fresh browser on ``origin``; ``cookie`` presets a session cookie, as a returning browser would send."""
    client = AuthClient(auth_base_url, origin)
    if cookie is not None:
        client.http.cookies.set(SESSION_COOKIE, cookie)
    return client


def create_organization(owner: AuthClient, name: str, slug: str) -> str:
    """A new organization owned by the signed-in ``owner``; returns its id."""
    return str(expect(owner.post("/organization/create", {"name": name, "slug": slug}), f"organization {slug}")["id"])


TOKEN = re.compile(r"[A-Za-z0-9_.~-]{20,}")  # a one-time token in an emailed link: never quoted in a report


def emailed_link(mail: MailpitClient, to: str, subject: str, marker: str) -> str:
    """The first link containing ``marker`` in the newest email to ``to`` whose subject contains ``subject``.

    Waits for the email as ``MailpitClient.wait_for`` does; a DrillError names what was awaited (recipient, subject,
    link) whether the email never came or came without such a link, so a failing check says which step broke."""
    awaited = f"{marker} link in the {subject!r} email to {to}"
    try:
        message = mail.wait_for(to=to, subject=subject)
    except AssertionError as exc:  # wait_for's timeout: it lists what did arrive
        raise DrillError(f"no {awaited}: {exc}") from exc
    links = [link for link in links_in(message.text) if marker in link]
    require(links, f"no {awaited}; the email reads (tokens masked):\n{TOKEN.sub('<token>', message.text)}")
    return links[0]


def sign_up_verified(client: AuthClient, mail: MailpitClient, account: Account) -> Account:
    """Sign up, ask for the verification email, and follow its link: a user with a verified address."""
    expect(client.sign_up(account), f"sign-up of {account.email}")
    expect(client.post("/send-verification-email", {"email": account.email, "callbackURL": "/"}), "verification")
    link = emailed_link(mail, account.email, "verify", "verify-email")
    expect(client.http.get(link, follow_redirects=False), "the verification link", ok=(200, 302))
    return account


def sign_in(client: AuthClient, account: Account) -> str:
    """Sign in with email and password; returns the session cookie the backend set."""
    expect(client.sign_in(account), f"sign-in of {account.email}")
    cookie = client.session_cookie
    require(cookie, f"sign-in of {account.email} set no session cookie")
    return str(cookie)


def promote_admin(ctx: Context, email: str, *, database_url: str | None = None) -> None:
    """The project's own bootstrap command (``manage promote-admin``), as an operator runs it; on the deployed
    database unless ``database_url`` names another (the canary's)."""
    run_manage(ctx, "promote-admin", email, database_url=database_url)


def session_user_id(client: AuthClient, **kwargs: Any) -> str | None:
    """The user id behind the client's cookie (or an ``x-api-key`` header in ``kwargs``), None when refused."""
    response = client.get("/get-session", **kwargs)
    body = expect(response, "get-session")
    return ((body or {}).get("user") or {}).get("id")


def register_sso_provider(admin: AuthClient, ctx: Context, domain: str, *, organization_id: str | None = None) -> str:
    """Register an OIDC provider for ``domain``, verify the domain, and register its redirect URI with the IdP.

    With ``organization_id`` the provider belongs to that organization, whose SCIM tokens may then provision
    addresses in ``domain`` (SCIM acts only in an organization's verified domains)."""
    issuer = ctx.endpoints.oidc_issuer
    body = {
        "issuer": f"{issuer}/tenants/{uuid.uuid4().hex[:8]}",  # unique per provider; discovery uses oidcConfig
        "kind": "oidc",
        "name": f"Rehearsal {domain}",
        "domains": [domain],
        "oidcConfig": {"issuer": issuer, "clientId": SSO_CLIENT_ID, "clientSecret": "rehearsal-client-secret"},
    }
    if organization_id is not None:
        body["organizationId"] = organization_id
    response = admin.post("/sso/register-provider", body)
    provider_id = str(expect(response, "admin SSO provider registration")["provider"]["id"])
    token = expect(admin.post("/sso/register-domain", {"ssoProviderId": provider_id, "domain": domain}), "domain")
    publish_txt(control_url(ctx.endpoints), f"_better-auth-token.{domain}", token["token"])  # the owner's proof
    expect(admin.post("/sso/verify-domain", {"domain": domain, "token": token["token"]}), "domain verification")
    redirect = f"{admin.auth_base_url}/sso/oidc/callback/{provider_id}"
    control.register_client(issuer, [redirect]).raise_for_status()
    return provider_id


def deliver_stripe_event(client: AuthClient, body: bytes, signature: str | None) -> httpx.Response:
    """POST a webhook body to the backend as Stripe does (``signature``: the Stripe-Signature header, or none)."""
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["stripe-signature"] = signature
    return client.http.post(client.url("/stripe/webhook"), content=body, headers=headers)


def list_subscriptions(client: AuthClient) -> list[dict[str, Any]]:
    """The signed-in user's active and trialing subscriptions (``/subscription/list``)."""
    data = expect(client.get("/subscription/list"), "/subscription/list")
    return data if isinstance(data, list) else data.get("subscriptions", data.get("data", []))


def scim_users(client: AuthClient, token: str) -> list[dict[str, Any]]:
    """The users a SCIM token's provider lists (``GET /scim/v2/Users`` with the Bearer token)."""
    response = client.get("/scim/v2/Users", headers={"authorization": f"Bearer {token}"})
    return list(expect(response, "SCIM list users").get("Resources", []))
