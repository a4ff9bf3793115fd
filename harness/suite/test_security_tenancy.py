"""Step 6, tenancy: SCIM tokens and provisioning, SAML sign-in and organization roles stay inside their tenant.

Each intrusion check replays a request of the security reviews (F02-F04, F08-F10, F17, N2, N3, N7) and must
be refused. Every client here also sends its own address as X-Forwarded-For: the deployed backend replaces that header
with the socket peer anyway, while the undefended build keys its rate limits on it, so its shared sign-up
bucket does not turn these checks into errors instead of failures.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.actions import expect, register_sso_provider, scim_users, sign_up_verified
from harness.client import Account, AuthClient, unique_email
from harness.deploy.context import Context
from harness.services.dns.fake import control_url, publish_txt
from harness.services.mail.client import MailpitClient
from harness.services.saml_idp import authn_request_id, mock_saml_idp, signed_response

from .flows import ClientFactory, magic_link_sign_in

SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def browser(new_client: ClientFactory) -> AuthClient:
    client = new_client()
    client.http.headers["X-Forwarded-For"] = client.local_address
    return client


@pytest.fixture(scope="module")
def admin_client(
    admin_client: AuthClient, auth_base_url: str, frontend_url: str, mail: MailpitClient
) -> Iterator[AuthClient]:
    """This module's own admin, on an address of its own (the suite's shared one signs up through the shared
    rate-limit bucket), made one by the suite's admin through the admin API."""
    with AuthClient(auth_base_url, frontend_url) as setup:
        setup.http.headers["X-Forwarded-For"] = setup.local_address
        account = sign_up_verified(setup, mail, Account(unique_email("tenancy-admin")))
    client = AuthClient(auth_base_url, frontend_url)
    client.http.headers["X-Forwarded-For"] = client.local_address
    response = client.sign_in(account)
    assert response.status_code == 200, f"admin sign-in failed: {response.status_code} {response.text}"
    user_id = expect(client.get("/get-session"), "the admin's session")["user"]["id"]
    expect(admin_client.post("/admin/set-role", {"userId": user_id, "role": "admin"}), "the promotion")
    yield client
    client.close()


def member(new_client: ClientFactory, mail: MailpitClient, label: str, domain: str = "example.com") -> AuthClient:
    """A verified user signed in on a browser of their own."""
    client = browser(new_client)
    account = sign_up_verified(client, mail, Account(unique_email(label, domain)))
    response = client.sign_in(account)
    assert response.status_code == 200, f"sign-in of {account.email} failed: {response.status_code} {response.text}"
    return client


def account(new_client: ClientFactory, mail: MailpitClient, label: str) -> Account:
    """A verified user who is not signed in anywhere (the victim)."""
    return sign_up_verified(browser(new_client), mail, Account(unique_email(label)))


def organization(owner: AuthClient, label: str) -> str:
    slug = f"{label}-{uuid.uuid4().hex[:8]}"
    response = owner.post("/organization/create", {"name": slug, "slug": slug})
    assert response.status_code == 200, f"/organization/create answered {response.status_code}: {response.text}"
    return str(response.json()["id"])


def verified_tenant(admin: AuthClient, ctx: Context, owner: AuthClient, label: str) -> tuple[str, str]:
    """An organization of ``owner`` and a domain an admin verified (DNS TXT) for its SSO provider: the one
    domain whose addresses its SCIM tokens may provision."""
    organization_id = organization(owner, label)
    domain = f"{label}-{uuid.uuid4().hex[:8]}.example"
    register_sso_provider(admin, ctx, domain, organization_id=organization_id)
    return organization_id, domain


def scim_token(owner: AuthClient, provider_id: str, organization_id: str) -> str:
    body = {"providerId": provider_id, "organizationId": organization_id}
    response = owner.post("/scim/generate-token", body)
    assert response.status_code == 200, f"an org owner's SCIM token request answered {response.status_code}"
    return str(response.json()["scimToken"])


def scim_user(email: str) -> dict[str, Any]:
    return {"schemas": [SCIM_USER], "userName": email, "emails": [{"value": email, "primary": True}]}


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def scim_put(client: AuthClient, user_id: str, email: str, token: str) -> httpx.Response:
    return client.http.put(client.url(f"/scim/v2/Users/{user_id}"), json=scim_user(email), headers=bearer(token))


# --- SCIM (F02, F04) ------------------------------------------------------------------------------------------


@pytest.mark.intrusion
def test_scim_token_requires_its_organization_and_stays_with_it(new_client: ClientFactory, mail: MailpitClient) -> None:
    """F04: a token without organizationId is refused, and another tenant cannot re-mint a provider's token."""
    alice = member(new_client, mail, "scim-alice")
    own_org = organization(alice, "tenant-a")
    provider_id = f"rt-{uuid.uuid4().hex[:8]}"
    loose = alice.post("/scim/generate-token", {"providerId": provider_id})
    assert loose.status_code in (400, 403), (
        f"/scim/generate-token without organizationId issued a token ({loose.status_code}: {loose.text[:200]})"
    )
    token = scim_token(alice, provider_id, own_org)
    mallory = member(new_client, mail, "scim-mallory")
    other_org = organization(mallory, "tenant-m")
    for body in ({"providerId": provider_id}, {"providerId": provider_id, "organizationId": other_org}):
        hijack = mallory.post("/scim/generate-token", body)
        assert hijack.status_code in (400, 403, 409), (
            f"another tenant re-minted the SCIM token of {provider_id} with {body}: {hijack.status_code}"
        )
    listed = new_client().get("/scim/v2/Users", headers=bearer(token))
    assert listed.status_code == 200, f"the owner's SCIM token stopped working ({listed.status_code})"


@pytest.mark.intrusion
def test_scim_provisioning_cannot_take_over_an_existing_account(
    new_client: ClientFactory, mail: MailpitClient, admin_client: AuthClient, ctx: Context
) -> None:
    """F02: userName naming an existing user does not link them; PUT cannot move their email to the attacker."""
    victim = account(new_client, mail, "scim-victim")
    attacker = member(new_client, mail, "scim-attacker")
    organization_id, domain = verified_tenant(admin_client, ctx, attacker, "tenant-x")
    token = scim_token(attacker, f"rt-{uuid.uuid4().hex[:8]}", organization_id)
    scim = new_client()
    created = scim.post("/scim/v2/Users", scim_user(victim.email), headers=bearer(token))
    linked = created.status_code == 200 and created.json().get("id") == victim.user_id
    assert not linked, f"POST /scim/v2/Users with an existing user's email linked that user ({created.text[:200]})"
    assert created.status_code in (403, 409), f"POST /scim/v2/Users with an existing email: {created.status_code}"
    mailbox = unique_email("scim-attacker-mailbox", domain)
    moved = scim_put(scim, str(victim.user_id), mailbox, token)
    assert moved.status_code in (403, 404), f"SCIM PUT on a user outside the tenant answered {moved.status_code}"
    fresh = scim.post("/scim/v2/Users", scim_user(unique_email("scim-new", domain)), headers=bearer(token))
    assert fresh.status_code == 200, f"SCIM provisioning of a new user failed: {fresh.status_code} {fresh.text}"
    stolen = scim_put(scim, fresh.json()["id"], victim.email, token)
    assert stolen.status_code in (403, 409), f"SCIM PUT taking another user's email answered {stolen.status_code}"
    with AuthClient(scim.auth_base_url, scim.origin) as check:
        signed = check.sign_in(victim)
        assert signed.status_code == 200, f"the victim can no longer sign in with their email ({signed.status_code})"


@pytest.mark.intrusion
def test_scim_provisions_only_in_the_organizations_verified_domains(
    new_client: ClientFactory, mail: MailpitClient, admin_client: AuthClient, ctx: Context
) -> None:
    """N2: any user's own organization and SCIM token cannot provision a stranger's address (the row that
    stranger's first sign-in lands in, which the token then moves to its own mailbox), nor move a user there;
    addresses in the organization's verified domain are provisioned (positive control)."""
    mallory = member(new_client, mail, "scim-squatter")
    organization_id, domain = verified_tenant(admin_client, ctx, mallory, "squat")
    token = scim_token(mallory, f"rt-{uuid.uuid4().hex[:8]}", organization_id)
    scim = new_client()
    stranger = unique_email("future-victim")
    squatted = scim.post("/scim/v2/Users", scim_user(stranger), headers=bearer(token))
    assert squatted.status_code == 403, (
        f"SCIM provisioned {stranger}, outside the organization's verified domain {domain}: "
        f"{squatted.status_code} {squatted.text[:200]}"
    )
    assert stranger not in {u.get("userName") for u in scim_users(scim, token)}, f"{stranger} was provisioned"
    employee = scim.post("/scim/v2/Users", scim_user(unique_email("employee", domain)), headers=bearer(token))
    assert employee.status_code == 200, f"in-domain SCIM provisioning failed: {employee.status_code} {employee.text}"
    mailbox = unique_email("scim-squatter-mailbox")
    moved = scim_put(scim, employee.json()["id"], mailbox, token)
    assert moved.status_code == 403, f"SCIM PUT moved a user out of {domain} to {mailbox}: {moved.status_code}"


@pytest.mark.intrusion
def test_scim_email_change_does_not_carry_the_old_proof(
    new_client: ClientFactory, mail: MailpitClient, admin_client: AuthClient, ctx: Context
) -> None:
    """N3: a SCIM email change ends the sessions that proved the old mailbox, so such a session cannot take an
    invitation another tenant sent to the new address; the new mailbox's owner, signing in, can (control)."""
    founder = member(new_client, mail, "invite-founder")
    tenant = member(new_client, mail, "scim-tenant")
    organization_id, domain = verified_tenant(admin_client, ctx, tenant, "rename")
    token = scim_token(tenant, f"rt-{uuid.uuid4().hex[:8]}", organization_id)
    scim = new_client()
    drop = unique_email("scim-drop", domain)
    user_id = expect(scim.post("/scim/v2/Users", scim_user(drop), headers=bearer(token)), "SCIM provisioning")["id"]
    holder = browser(new_client)
    assert magic_link_sign_in(holder, mail, drop) == user_id, f"the magic link for {drop} signed in another user"
    newhire = unique_email("newhire", domain)
    body = {"organizationId": organization(founder, "victim-corp"), "email": newhire, "role": "admin"}
    invited = expect(founder.post("/organization/invite-member", body), f"the invitation of {newhire}")
    invitation = {"invitationId": invited["invitation"]["id"]}
    moved = scim_put(scim, user_id, newhire, token)
    assert moved.status_code == 200, f"an in-domain SCIM rename failed: {moved.status_code} {moved.text[:200]}"
    kept = holder.get_session()
    assert kept is None, f"the session that proved {drop} survived the SCIM change to {newhire}: {kept}"
    hijack = holder.post("/organization/accept-invitation", invitation)
    assert hijack.status_code in (401, 403), f"the old session accepted {newhire}'s invitation: {hijack.status_code}"
    newcomer = browser(new_client)
    magic_link_sign_in(newcomer, mail, newhire)
    accepted = newcomer.post("/organization/accept-invitation", invitation)
    assert accepted.status_code == 200, f"{newhire} could not accept their invitation: {accepted.status_code}"


# --- SAML (F03, F10) ------------------------------------------------------------------------------------------


class SAMLTenant:
    """A SAML provider for a verified domain of its own, registered by an admin, and its IdP."""

    def __init__(self, admin: AuthClient, ctx: Context) -> None:
        tag = uuid.uuid4().hex[:8]
        self.domain = f"tenant-{tag}.example"
        self.idp = mock_saml_idp(f"https://saml-{tag}.example/idp", f"https://saml-{tag}.example/sso")
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        self.registration = admin.post(
            "/sso/register-provider",
            {
                "issuer": self.idp.entity_id,
                "kind": "saml",
                "domains": [self.domain],
                "samlConfig": {
                    "idp": {"entityId": self.idp.entity_id, "ssoUrl": self.idp.sso_url, "cert": self.idp.cert_pem},
                    "sp": {"privateKey": pem},
                },
            },
        )
        assert self.registration.status_code == 200, f"SAML provider registration failed: {self.registration.text}"
        self.provider_id = str(self.registration.json()["provider"]["id"])
        domain = admin.post("/sso/register-domain", {"ssoProviderId": self.provider_id, "domain": self.domain})
        assert domain.status_code == 200, f"/sso/register-domain failed: {domain.text}"
        token = domain.json()["token"]
        publish_txt(control_url(ctx.endpoints), f"_better-auth-token.{self.domain}", token)  # the owner's proof
        verified = admin.post("/sso/verify-domain", {"domain": self.domain, "token": token})
        assert verified.status_code == 200, f"/sso/verify-domain failed: {verified.text}"

    def start(self, client: AuthClient) -> str:
        """Begin an SP-initiated sign-in on ``client``; the AuthnRequest's ID the IdP answers."""
        response = client.get(f"/sso/saml/sign-in/{self.provider_id}", follow_redirects=False)
        assert response.status_code in (302, 303), f"SAML sign-in did not redirect: {response.status_code}"
        return authn_request_id(response.headers["location"])

    def response(self, client: AuthClient, email: str, request_id: str | None) -> str:
        return signed_response(self.idp, client.auth_base_url, self.provider_id, email, request_id)

    def post(self, client: AuthClient, saml_response: str) -> httpx.Response:
        return client.post(f"/sso/saml/acs/{self.provider_id}", {"SAMLResponse": saml_response})


@pytest.fixture
def saml(admin_client: AuthClient, ctx: Context) -> SAMLTenant:
    return SAMLTenant(admin_client, ctx)


def leaks_provider_secrets(text: str) -> bool:
    return "PRIVATE KEY" in text or "privateKey" in text or "clientSecret" in text


@pytest.mark.intrusion
def test_saml_sign_in_outside_provider_domain_is_refused(
    saml: SAMLTenant, new_client: ClientFactory, mail: MailpitClient
) -> None:
    """F03: a tenant's SAML IdP asserting an account of another domain gets no session for it."""
    victim = account(new_client, mail, "saml-victim")
    attacker = browser(new_client)
    answer = saml.post(attacker, saml.response(attacker, victim.email, saml.start(attacker)))
    assert attacker.get_session() is None, (
        f"the SAML ACS signed in {victim.email}, outside {saml.domain} (answered {answer.status_code})"
    )
    assert answer.status_code == 403, f"the out-of-domain SAML response answered {answer.status_code}"
    assert not leaks_provider_secrets(answer.text), "the SAML ACS answer carries the provider's secrets"


@pytest.mark.intrusion
def test_saml_sign_in_answer_carries_no_provider_secrets(saml: SAMLTenant, new_client: ClientFactory) -> None:
    """F03: an in-domain SAML sign-in works (positive control) and its answer has no SP private key."""
    employee = browser(new_client)
    email = unique_email("employee", saml.domain)
    answer = saml.post(employee, saml.response(employee, email, saml.start(employee)))
    assert answer.status_code == 200, f"in-domain SAML sign-in failed: {answer.status_code} {answer.text[:300]}"
    session = employee.get_session()
    assert session is not None and session["user"]["email"] == email, f"no session for {email}: {session}"
    assert not leaks_provider_secrets(answer.text), "the SAML ACS answer carries the SP private key"
    assert not leaks_provider_secrets(saml.registration.text), "/sso/register-provider echoes the private key"


@pytest.mark.intrusion
def test_sso_provider_list_carries_no_secrets(saml: SAMLTenant, admin_client: AuthClient) -> None:
    """F03: GET /sso/list-providers hands no client secret or private key to anyone, admins included."""
    listed = admin_client.get("/sso/list-providers")
    assert listed.status_code == 200, f"/sso/list-providers answered {listed.status_code} to an admin"
    ids = {p.get("id") for p in listed.json().get("providers", [])}
    assert saml.provider_id in ids, f"/sso/list-providers does not list {saml.provider_id}"
    assert not leaks_provider_secrets(listed.text), "/sso/list-providers gives out client secrets or private keys"


@pytest.mark.intrusion
def test_saml_response_is_accepted_once(saml: SAMLTenant, new_client: ClientFactory) -> None:
    """F10: the same signed SAML response posted again, from another client, signs nobody in."""
    first = browser(new_client)
    email = unique_email("saml-replay", saml.domain)
    captured = saml.response(first, email, saml.start(first))
    answer = saml.post(first, captured)
    assert answer.status_code == 200, f"the genuine SAML sign-in failed: {answer.status_code} {answer.text[:300]}"
    replayer = browser(new_client)
    saml.start(replayer)
    again = saml.post(replayer, captured)
    assert replayer.get_session() is None, f"a replayed SAML response signed in {email} ({again.status_code})"
    assert again.status_code == 400, f"the replayed SAML response answered {again.status_code}"


@pytest.mark.intrusion
def test_unsolicited_saml_response_is_refused(saml: SAMLTenant, new_client: ClientFactory) -> None:
    """F10: a response that answers no AuthnRequest of this backend (IdP-initiated or invented) is refused."""
    client = browser(new_client)
    for request_id in (None, f"_invented-{uuid.uuid4().hex}"):
        answer = saml.post(client, saml.response(client, unique_email("unsolicited", saml.domain), request_id))
        assert client.get_session() is None, (
            f"an unsolicited SAML response (InResponseTo={request_id}) signed someone in ({answer.status_code})"
        )
        assert answer.status_code == 400, f"the unsolicited SAML response answered {answer.status_code}"


@pytest.mark.intrusion
def test_saml_form_post_from_the_idp_origin_is_accepted(saml: SAMLTenant, new_client: ClientFactory) -> None:
    """F30: SAML's HTTP-POST binding works as an IdP's page sends it (form-encoded, from the IdP's origin), and
    the same post from any other origin is still refused."""
    idp_origin = "/".join(saml.idp.sso_url.split("/", 3)[:3])
    outcomes = {}
    for origin in (idp_origin, "https://evil.example"):
        client = browser(new_client)
        email = unique_email("saml-form", saml.domain)
        signed = saml.response(client, email, saml.start(client))
        answer = client.http.post(
            client.url(f"/sso/saml/acs/{saml.provider_id}"),
            data={"SAMLResponse": signed, "RelayState": "/"},
            headers={"Origin": origin},
            follow_redirects=False,
        )
        session = client.get_session()
        outcomes[origin] = (answer.status_code, (session or {}).get("user", {}).get("email") == email)
    assert outcomes[idp_origin][1], f"a form post of a signed response from the IdP's origin answered {outcomes}"
    assert outcomes["https://evil.example"] == (403, False), f"a form post from a foreign origin answered {outcomes}"


# --- Organizations (F08) --------------------------------------------------------------------------------------


def joined(founder: AuthClient, org: str, invitee: AuthClient, role: str) -> str:
    """``invitee`` invited by ``founder`` into ``org`` with ``role`` and accepting; their member id."""
    email = (invitee.get_session() or {})["user"]["email"]
    body = {"organizationId": org, "email": email, "role": role}
    invitation = expect(founder.post("/organization/invite-member", body), f"the {role} invitation")["invitation"]
    accepted = invitee.post("/organization/accept-invitation", {"invitationId": invitation["id"]})
    return str(expect(accepted, f"accepting the {role} invitation")["member"]["id"])


@pytest.mark.intrusion
def test_org_admin_cannot_invite_an_owner(new_client: ClientFactory, mail: MailpitClient) -> None:
    """F08: an organization admin inviting a second mailbox as owner is refused (only owners make owners)."""
    founder = member(new_client, mail, "org-founder")
    org = organization(founder, "boardroom")
    deputy = member(new_client, mail, "org-deputy")
    joined(founder, org, deputy, "admin")
    body = {"organizationId": org, "email": unique_email("org-second-mailbox"), "role": "owner"}
    escalation = deputy.post("/organization/invite-member", body)
    assert escalation.status_code == 403, (
        f"an org admin invited an owner: /organization/invite-member answered {escalation.status_code}"
    )
    allowed = founder.post("/organization/invite-member", body)
    assert allowed.status_code == 200, f"the founder could not invite an owner: {allowed.status_code} {allowed.text}"


@pytest.mark.intrusion
def test_org_admin_cannot_remove_an_owner(new_client: ClientFactory, mail: MailpitClient) -> None:
    """N7: an organization admin removing a co-owner is refused (only owners remove owners); the founder can."""
    founder = member(new_client, mail, "org-founder")
    org = organization(founder, "boardroom")
    co_owner = joined(founder, org, member(new_client, mail, "org-co-owner"), "owner")
    deputy = member(new_client, mail, "org-deputy")
    joined(founder, org, deputy, "admin")
    evicted = deputy.post("/organization/remove-member", {"organizationId": org, "memberIdOrEmail": co_owner})
    assert evicted.status_code == 403, f"an org admin removed an owner: {evicted.status_code} {evicted.text[:200]}"
    removed = founder.post("/organization/remove-member", {"organizationId": org, "memberIdOrEmail": co_owner})
    assert removed.status_code == 200, f"the founder could not remove a co-owner: {removed.status_code}"


# --- SSO domain verification (F09) ----------------------------------------------------------------------------


@pytest.mark.intrusion
def test_sso_domain_verification_needs_dns_proof(admin_client: AuthClient, ctx: Context) -> None:
    """F09: sending back the token /sso/register-domain just gave out does not verify the domain; only the DNS
    TXT record _better-auth-token.<domain> holding it does (no such record exists for this domain)."""
    domain = f"boardroom-{uuid.uuid4().hex[:8]}.example"
    oidc = {"issuer": ctx.endpoints.oidc_issuer, "clientId": "boardroom", "clientSecret": "boardroom-secret"}
    issuer = f"{ctx.endpoints.oidc_issuer}/tenants/{uuid.uuid4().hex[:8]}"
    created = admin_client.post(
        "/sso/register-provider", {"issuer": issuer, "kind": "oidc", "domains": [domain], "oidcConfig": oidc}
    )
    assert created.status_code == 200, f"SSO provider registration failed: {created.status_code} {created.text}"
    body = {"ssoProviderId": created.json()["provider"]["id"], "domain": domain}
    registered = admin_client.post("/sso/register-domain", body)
    assert registered.status_code == 200, f"/sso/register-domain failed: {registered.text}"
    echoed = admin_client.post("/sso/verify-domain", {"domain": domain, "token": registered.json()["token"]})
    assert echoed.status_code == 400, (
        f"/sso/verify-domain accepted the echoed token for {domain} without a DNS record ({echoed.status_code})"
    )


# --- OIDC fetches (F17) ---------------------------------------------------------------------------------------


class Listener:
    """An internal HTTP service on a loopback port the deployment did not list: counts the connections it gets."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.sendall(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def internal_listener() -> Iterator[Listener]:
    listener = Listener()
    yield listener
    listener.close()


@pytest.mark.intrusion
def test_oidc_sign_in_fetches_nothing_outside_the_allowed_issuers(
    admin_client: AuthClient, new_client: ClientFactory, internal_listener: Listener
) -> None:
    """F17: a provider whose issuer is an internal loopback service makes the backend fetch nothing from it,
    neither at registration nor on an anonymous sign-in."""
    issuer = f"http://127.0.0.1:{internal_listener.port}/internal-admin"
    registration = admin_client.post(
        "/sso/register-provider",
        {
            "issuer": f"https://internal-{uuid.uuid4().hex[:8]}.example",
            "kind": "oidc",
            "domains": [f"internal-{uuid.uuid4().hex[:8]}.example"],
            "oidcConfig": {"issuer": issuer, "clientId": "internal", "clientSecret": "internal-secret"},
        },
    )
    answer = None
    if registration.status_code == 200:
        provider_id = registration.json()["provider"]["id"]
        answer = new_client().get(f"/sso/oidc/sign-in/{provider_id}", follow_redirects=False)
    assert internal_listener.connections == 0, (
        f"the backend connected to {issuer} (registration {registration.status_code}, "
        f"sign-in {answer.status_code if answer is not None else '-'})"
    )
    assert registration.status_code == 400, f"registering issuer {issuer} answered {registration.status_code}"
