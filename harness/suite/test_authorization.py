"""Step 6, authorization: every route the deployed backend serves, called as every kind of caller, answers as its
declared policy says (harness/authz.py). The rows go to the report's ``authorization`` section."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Iterator

import pytest

from harness import authz
from harness.actions import create_organization, expect, sign_up_verified
from harness.client import SESSION_COOKIE, Account, AuthClient, unique_email
from harness.services.mail.client import MailpitClient

pytestmark = [pytest.mark.intrusion, pytest.mark.authorization]


class Population:
    """Signed-in clients for each caller kind; closed together at the end."""

    def __init__(self, auth_base_url: str, frontend_url: str, mail: MailpitClient) -> None:
        self.auth_base_url, self.frontend_url, self.mail = auth_base_url, frontend_url, mail
        self.clients: list[AuthClient] = []

    def signed_in(self, label: str) -> tuple[AuthClient, Account]:
        client = AuthClient(self.auth_base_url, self.frontend_url)
        self.clients.append(client)
        account = sign_up_verified(client, self.mail, Account(unique_email(f"authz-{label}")))
        expect(client.sign_in(account), f"sign-in of the {label}")
        return client, account

    def close(self) -> None:
        for client in self.clients:
            client.close()


def cookie_caller(name: str, client: AuthClient, **headers: str) -> authz.Caller:
    cookie = client.session_cookie
    assert cookie, f"the {name} has no session cookie"
    return authz.Caller(name, headers={"Origin": client.origin, **headers}, cookies={SESSION_COOKIE: cookie})


def join(owner: AuthClient, member: AuthClient, account: Account, organization_id: str, role: str) -> None:
    body = {"organizationId": organization_id, "email": account.email, "role": role}
    invited = expect(owner.post("/organization/invite-member", body), f"invitation of an organization {role}")
    invitation_id = invited["invitation"]["id"]
    expect(member.post("/organization/accept-invitation", {"invitationId": invitation_id}), f"{role} joining")


def stripe_signature(secret: str, body: bytes) -> str:
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


@pytest.fixture(scope="module")
def callers(
    auth_base_url: str,
    frontend_url: str,
    mail: MailpitClient,
    admin_account: Account,
    backend_secrets: dict[str, str],
) -> Iterator[tuple[list[authz.Caller], str]]:
    """The eleven callers, and the organization the organization roles belong to. The admin signs in on a client
    of its own: against a backend without the gateway, probes such as /sign-out do run."""
    people = Population(auth_base_url, frontend_url, mail)
    try:
        admin_client = AuthClient(auth_base_url, frontend_url)
        people.clients.append(admin_client)
        expect(admin_client.sign_in(admin_account), "the admin's sign-in")
        owner, _ = people.signed_in("org-owner")
        organization_id = create_organization(owner, "Authz home", f"authz-home-{uuid.uuid4().hex[:8]}")
        roles = {}
        for role in ("admin", "member"):
            client, account = people.signed_in(f"org-{role}")
            join(owner, client, account, organization_id, role)
            roles[role] = client
        user, _ = people.signed_in("user")
        key = expect(user.post("/api-key/create", {"name": "authz"}), "API key of the user")["key"]
        banned, banned_account = people.signed_in("banned")
        banned_key = expect(banned.post("/api-key/create", {"name": "authz"}), "API key of the banned user")["key"]
        banned_id = expect(banned.get("/get-session"), "session of the banned user")["user"]["id"]
        expect(admin_client.post("/admin/ban-user", {"userId": banned_id}), f"ban of {banned_account.email}")
        stranger, _ = people.signed_in("other-org-owner")
        other_org = create_organization(stranger, "Authz other", f"authz-other-{uuid.uuid4().hex[:8]}")
        scim = expect(
            stranger.post(
                "/scim/generate-token",
                {"providerId": f"authz-{uuid.uuid4().hex[:8]}", "organizationId": other_org},
            ),
            "SCIM token of the other organization",
        )["scimToken"]
        origin = {"Origin": frontend_url}
        signature = stripe_signature(backend_secrets["stripe_webhook_secret"], authz.PROBE_BODY)
        yield (
            [
                authz.Caller("anonymous", headers=origin),
                cookie_caller("user", user),
                cookie_caller("banned_user", banned, **{"x-api-key": banned_key}),
                cookie_caller("org_member", roles["member"]),
                cookie_caller("org_admin", roles["admin"]),
                cookie_caller("org_owner", owner),
                cookie_caller("instance_admin", admin_client),
                authz.Caller("api_key", headers={**origin, "x-api-key": key}),
                authz.Caller("scim_other_org", headers={**origin, "Authorization": f"Bearer {scim}"}),
                authz.Caller("operator", headers={**origin, **authz.operator_headers(backend_secrets["ops_token"])}),
                authz.Caller("stripe_signed", headers={"Stripe-Signature": signature}),
            ],
            organization_id,
        )
    finally:
        people.close()


def test_every_route_answers_every_caller_as_its_policy_says(
    callers: tuple[list[authz.Caller], str],
    backend_url: str,
    backend_secrets: dict[str, str],
    record_property: pytest.RecordProperty,
) -> None:
    population, organization_id = callers
    routes = authz.served_routes(backend_url, backend_secrets["ops_token"])
    unlisted = [f"{r.method} {r.path}" for r in routes if r.access not in authz.ADMITTED]
    assert not unlisted, f"served routes without a known access policy: {unlisted}"
    cells = authz.matrix(backend_url, routes, population, organization_id)
    record_property("authorization", [cell.as_row() for cell in cells])
    wrong = [c for c in cells if not c.ok]
    assert len(population) >= 9 and len(routes) >= 100, authz.summary(cells)
    assert not wrong, f"{len(wrong)} of {len(cells)} route x caller answers differ from the policy, e.g. " + "; ".join(
        f"{c.method} {c.route} as {c.caller}: expected {c.expected}, got {c.got} ({c.status})" for c in wrong[:8]
    )
