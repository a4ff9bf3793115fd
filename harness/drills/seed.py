"""Seed a deployed backend through its API with one of everything a restore must bring back.

Users with verified emails and live sessions, an admin, an API key, an organization with a member and a pending
invitation, a Stripe customer with a subscription (applied from a signed webhook), an SSO provider with its verified
domain, a SCIM provider with its token and the users it provisioned, and the audit events all this wrote. Names are
unique per seed (a random tag), so seeding never collides with checks running at the same time.
"""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from harness.actions import (
    PRICE_ID,
    client_for,
    create_organization,
    deliver_stripe_event,
    expect,
    list_subscriptions,
    promote_admin,
    register_sso_provider,
    sign_in,
    sign_up_verified,
)
from harness.client import Account, AuthClient
from harness.deploy.context import Context
from harness.drills.results import require
from harness.services.mail.client import MailpitClient
from harness.services.stripe.events import signature_header, subscription_event

SCIM_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
# Audit events the seed's own actions must have written (event name -> whose action it was).
SEEDED_EVENTS = (
    "user.created",
    "user.email_verified",
    "api_key.created",
    "organization.created",
    "member.invited",
    "member.added",
    "provider.created",
    "scim.token_generated",
)


@dataclass(frozen=True)
class SeededUser:
    email: str
    user_id: str
    password: str = field(repr=False)
    cookie: str = field(repr=False)  # the session cookie issued at seeding time

    @property
    def account(self) -> Account:
        return Account(self.email, self.password, self.user_id)


@dataclass(frozen=True)
class Seed:
    """What was created and the credentials that must keep working (secrets are kept out of repr and summary)."""

    tag: str
    admin: SeededUser
    owner: SeededUser  # owns the organization, the API key, the subscription and the SCIM token
    member: SeededUser  # joined the organization by accepting an invitation
    organization_id: str
    member_invitation_id: str
    pending_invitation_id: str
    pending_invitation_email: str
    api_key_id: str
    customer_id: str
    subscription_id: str
    sso_provider_id: str
    sso_domain: str
    scim_provider_id: str
    scim_user_ids: tuple[str, ...]
    audit_event_ids: tuple[str, ...]
    api_key: str = field(repr=False)
    scim_token: str = field(repr=False)

    @property
    def users(self) -> tuple[SeededUser, ...]:
        return (self.admin, self.owner, self.member)

    def summary(self) -> dict[str, Any]:
        """The seed without credentials, for reports."""
        return {
            "tag": self.tag,
            "users": [u.email for u in self.users],
            "organization_id": self.organization_id,
            "api_key_id": self.api_key_id,
            "subscription_id": self.subscription_id,
            "sso_provider_id": self.sso_provider_id,
            "sso_domain": self.sso_domain,
            "scim_provider_id": self.scim_provider_id,
            "scim_users": len(self.scim_user_ids),
            "audit_events": len(self.audit_event_ids),
        }


def seed_through_api(ctx: Context) -> Seed:
    """Create the seed on the deployed backend (``ctx.deployment``'s URLs), as its users and operators would."""
    tag = uuid.uuid4().hex[:10]
    deployed = ctx.deployment.deployed()
    auth_base_url, origin = deployed.auth_base_url, deployed.frontend_url
    mail = MailpitClient(ctx.endpoints.mailpit_api_url)
    with ExitStack() as stack:
        stack.callback(mail.close)

        def user(label: str) -> tuple[AuthClient, SeededUser]:
            client = stack.enter_context(client_for(auth_base_url, origin))
            return client, signed_in_user(client, mail, f"drill-{label}-{tag}@example.com")

        admin_client, admin = user("admin")
        promote_admin(ctx, admin.email)
        owner_client, owner = user("owner")
        member_client, member = user("member")

        key = expect(owner_client.post("/api-key/create", {"name": f"drill-{tag}"}), "API key creation")
        org = {"id": create_organization(owner_client, f"Drill {tag}", f"drill-{tag}")}
        member_invitation = _invite(owner_client, org["id"], member.email)
        expect(member_client.post("/organization/accept-invitation", {"invitationId": member_invitation}), "accept")
        pending_email = f"drill-invitee-{tag}@example.com"
        pending_invitation = _invite(owner_client, org["id"], pending_email)

        customer_id, subscription_id = _subscribe(ctx, owner_client, tag)
        sso_domain = f"drill-{tag}.example"
        sso_provider_id = register_sso_provider(admin_client, ctx, sso_domain, organization_id=org["id"])
        scim_provider_id = f"drill-scim-{tag}"
        scim_token, scim_user_ids = provision_scim(
            owner_client, scim_provider_id, tag, organization_id=org["id"], domain=sso_domain
        )

        audit_ids = _seeded_audit_events(ctx, admin_client, {u.user_id for u in (admin, owner, member)})
        return Seed(
            tag=tag,
            admin=admin,
            owner=owner,
            member=member,
            organization_id=org["id"],
            member_invitation_id=member_invitation,
            pending_invitation_id=pending_invitation,
            pending_invitation_email=pending_email,
            api_key_id=key["id"],
            customer_id=customer_id,
            subscription_id=subscription_id,
            sso_provider_id=sso_provider_id,
            sso_domain=sso_domain,
            scim_provider_id=scim_provider_id,
            scim_user_ids=scim_user_ids,
            audit_event_ids=audit_ids,
            api_key=key["key"],
            scim_token=scim_token,
        )


def signed_in_user(client: AuthClient, mail: MailpitClient, email: str) -> SeededUser:
    """A new user with a verified address, signed in on ``client``."""
    account = sign_up_verified(client, mail, Account(email))
    cookie = sign_in(client, account)
    require(account.user_id, f"sign-up of {account.email} returned no user id")
    return SeededUser(account.email, str(account.user_id), account.password, cookie)


def _invite(owner: AuthClient, organization_id: str, email: str) -> str:
    body = {"organizationId": organization_id, "email": email, "role": "member"}
    return str(expect(owner.post("/organization/invite-member", body), f"invitation of {email}")["invitation"]["id"])


def _subscribe(ctx: Context, owner: AuthClient, tag: str) -> tuple[str, str]:
    """Subscribe the owner's Stripe customer (created at sign-up) through a signed ``subscription.created`` event."""
    session = expect(owner.get("/get-session"), "get-session of the owner")
    customer_id = session["user"].get("stripeCustomerId")
    require(customer_id, f"sign-up created no Stripe customer for {session['user'].get('email')}")
    subscription_id = f"sub_drill{tag}"
    body = subscription_event(
        "customer.subscription.created", customer=customer_id, subscription_id=subscription_id, price_id=PRICE_ID
    )
    secret = ctx.vault.read()["stripe_webhook_secret"]
    expect(deliver_stripe_event(owner, body, signature_header(body, secret)), "the signed subscription event")
    statuses = {s.get("stripeSubscriptionId"): s.get("status") for s in list_subscriptions(owner)}
    require(statuses.get(subscription_id) == "active", f"the subscription event was not applied: {statuses}")
    return str(customer_id), subscription_id


def provision_scim(
    owner: AuthClient, provider_id: str, tag: str, *, organization_id: str, domain: str, users: int = 2
) -> tuple[str, tuple[str, ...]]:
    """A SCIM token for the owner's organization, then ``users`` created with it as an identity provider would,
    in ``domain`` (one verified for the organization: SCIM provisions no other address)."""
    body = {"providerId": provider_id, "organizationId": organization_id}
    token = str(expect(owner.post("/scim/generate-token", body), "SCIM token generation")["scimToken"])
    user_ids = []
    for n in range(users):
        email = f"drill-scim{n}-{tag}@{domain}"
        user = {
            "schemas": [SCIM_USER_SCHEMA],
            "userName": email,
            "emails": [{"value": email, "primary": True}],
            "name": {"givenName": "Drill", "familyName": f"Provisioned {n}"},
        }
        response = owner.post("/scim/v2/Users", user, headers={"authorization": f"Bearer {token}"})
        user_ids.append(str(expect(response, f"SCIM provisioning of {email}", ok=(200, 201))["id"]))
    return token, tuple(user_ids)


def _seeded_audit_events(ctx: Context, admin: AuthClient, actors: set[str]) -> tuple[str, ...]:
    """Ids of the audit events the seed's actions wrote, read through the admin API as an incident review would
    (by actor: the checks running beside the drill write rows of their own); each expected kind present."""
    url = f"{ctx.deployment.deployed().backend_url}/admin/audit-events"
    events: list[dict[str, Any]] = []
    for actor in sorted(actors):
        response = admin.http.get(url, params={"actor": actor, "limit": 1000})
        events += expect(response, f"/admin/audit-events?actor={actor}")["events"]
    missing = sorted(set(SEEDED_EVENTS) - {e["event"] for e in events})
    require(not missing, f"the seed's actions wrote no audit event {missing}")
    return tuple(sorted(e["id"] for e in events))
