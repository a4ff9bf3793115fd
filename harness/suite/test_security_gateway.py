"""Step 6, intrusion: holes the policy gateway closes (security review F01, F05, F12, F18, F24-F26, F28, F30;
outside review N10).

Each attack is the review's exact request; each check must fail against the backend built without the gateway.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from harness import authz
from harness.actions import expect, session_user_id
from harness.client import Account, AuthClient, links_in, unique_email
from harness.services.mail.client import MailpitClient

from .flows import ClientFactory

pytestmark = pytest.mark.intrusion

MiB = 1024 * 1024


@dataclass
class BannedAdmin:
    account: Account
    api_key: str


@pytest.fixture
def banned_admin(
    new_client: ClientFactory,
    verified_account: Callable[..., Account],
    admin_client: AuthClient,
) -> BannedAdmin:
    """An admin (made one by another admin through the admin API) with an API key, then banned by that admin (the
    incident response for a stolen account)."""
    account = verified_account("banned-admin")
    client = new_client()
    expect(client.sign_in(account), "the admin's sign-in")
    user_id = expect(client.get("/get-session"), "the admin's session")["user"]["id"]
    account.user_id = user_id
    expect(admin_client.post("/admin/set-role", {"userId": user_id, "role": "admin"}), "the promotion")
    key = expect(client.post("/api-key/create", {"name": "ops"}), "the admin's API key")["key"]
    # the positive control of the checks below: before the ban, the key signs its admin in
    found = session_user_id(new_client(), headers={"x-api-key": key})
    assert found == user_id, f"the admin's API key did not authenticate before the ban (got {found})"
    expect(admin_client.post("/admin/ban-user", {"userId": user_id}), "the ban")
    return BannedAdmin(account, key)


def test_anonymous_caller_cannot_create_an_admin(new_client: ClientFactory) -> None:
    """F01: Kernia treats "no session" as a trusted server call; over HTTP it must be refused."""
    email = unique_email("anon-admin")
    body = {
        "email": email,
        "name": "x",
        "password": "Red-team-Passw0rd!",
        "role": "admin",
        "data": {"emailVerified": True},
    }
    anonymous = new_client()
    anonymous.http.headers.pop("Origin", None)
    response = anonymous.post("/admin/create-user", body)
    assert response.status_code in (401, 403), (
        f"anonymous /admin/create-user answered {response.status_code}: {response.text[:200]}"
    )
    sign_in = new_client().sign_in(Account(email, password=body["password"]))
    assert sign_in.status_code != 200, "the anonymously created admin can sign in"


def test_banned_admin_api_key_cannot_unban_itself(new_client: ClientFactory, banned_admin: BannedAdmin) -> None:
    """F05: a ban must stop every credential, API keys included."""
    client = new_client()
    key = {"x-api-key": banned_admin.api_key}
    session = client.get("/get-session", headers=key)
    assert session.status_code in (401, 403), f"a banned admin's API key still signs in: {session.status_code}"
    listed = client.post("/admin/list-users", {}, headers=key)
    assert listed.status_code in (401, 403), f"a banned admin's API key listed users: {listed.status_code}"
    unban = client.post("/admin/unban-user", {"userId": banned_admin.account.user_id}, headers=key)
    assert unban.status_code in (401, 403), (
        f"a banned admin's API key un-banned itself: {unban.status_code} {unban.text[:200]}"
    )


def test_banned_admin_cannot_read_the_audit_log(
    new_client: ClientFactory, banned_admin: BannedAdmin, mail: MailpitClient, backend_url: str
) -> None:
    """F12: a banned admin who gets a session by magic link must not reach the app's admin routes."""
    client = new_client()
    client.post("/sign-in/magic-link", {"email": banned_admin.account.email, "callbackURL": "/"})
    try:
        message = mail.wait_for(to=banned_admin.account.email, subject="sign in", timeout=5)
    except AssertionError:
        message = None  # no link mailed to a banned user: the attack stops here (the request below then has no session)
    for link in links_in(message.text) if message else ():
        if "magic-link/verify" in link:
            client.http.get(link, follow_redirects=False)
    response = client.http.get(f"{backend_url}/admin/audit-events")
    assert response.status_code in (401, 403), f"a banned admin read /admin/audit-events: {response.status_code}"


def test_banned_user_gets_no_session_from_a_magic_link(
    new_client: ClientFactory, banned_admin: BannedAdmin, mail: MailpitClient
) -> None:
    """F12: Kernia checks bans on /sign-in/email only; a magic link must not sign a banned user in either."""
    client = new_client()
    asked = client.post("/sign-in/magic-link", {"email": banned_admin.account.email, "callbackURL": "/"})
    assert asked.status_code == 200, f"/sign-in/magic-link answered {asked.status_code}"
    message = mail.wait_for(to=banned_admin.account.email, subject="sign in", timeout=10)
    links = [link for link in links_in(message.text) if "magic-link/verify" in link]
    assert links, f"the magic-link mail has no link: {message.text[:200]}"
    client.http.get(links[0], follow_redirects=False)
    assert client.get_session() is None, "a banned user signed in with a magic link"


def test_oversized_bodies_are_refused_before_processing(new_client: ClientFactory) -> None:
    """F18: a 1 MiB sign-in body (the review sent 64 MiB) is refused with 413, not read and processed."""
    body = json.dumps({"email": "nobody@example.com", "password": "A" * MiB}).encode()
    client = new_client()
    response = client.http.post(
        client.url("/sign-in/email"), content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413, f"a 1 MiB body answered {response.status_code}, expected 413"


MALFORMED: dict[str, tuple[str, bytes]] = {
    "invalid JSON": ("/sign-in/email", b"{not json"),
    "non-UTF-8": ("/sign-in/email", b"\xff\xfe"),
    "deep nesting": ("/sign-in/email", b"[" * 50000),
    "number as email": ("/sign-in/email", b'{"email": 123, "password": "x"}'),
    "array as email": ("/sign-up/email", b'{"email": ["a@b.c"], "password": "correct-Horse-9", "name": "x"}'),
    "operator object": ("/sign-in/email", b'{"email": {"$ne": null}, "password": "x"}'),
    "number as password": ("/sign-in/email", b'{"email": "a@example.com", "password": 12345678}'),
    "NUL in email": ("/forget-password", b'{"email": "a\\u0000@example.com"}'),
    "5000-digit number": (
        "/sign-in/email",
        b'{"email": "a@example.com", "password": "x", "rememberMe": 1' + b"0" * 5000 + b"}",
    ),
    "lone surrogate": (
        "/sign-up/email",
        b'{"email": "s@example.com", "password": "correct-Horse-9", "name": "\\ud800"}',
    ),
    "no body": ("/forget-password", b""),
}


def test_malformed_input_is_a_client_error_not_a_500(new_client: ClientFactory) -> None:
    """F24: each malformed body gets a 4xx that says what is wrong; none is answered as a server failure."""
    client = new_client()
    answers = {}
    for name, (route, body) in MALFORMED.items():
        response = client.http.post(client.url(route), content=body, headers={"content-type": "application/json"})
        answers[name] = response.status_code
    scim = client.get("/scim/v2/Users", headers={"Authorization": "Bearer YWJjOnByb3YAaWRlcg"})
    answers["garbled SCIM token"] = scim.status_code
    failures = {name: status for name, status in answers.items() if not 400 <= status < 500}
    assert not failures, f"malformed input answered outside 4xx: {failures}"


# Each malformed query or path parameter, and the parameter the refusal must name.
MALFORMED_PARAMETERS: dict[str, tuple[str, str]] = {
    "NUL in a query parameter": ("id=a%00b", "id"),
    "repeated query parameter": ("id=a&id=b", "id"),
}


def test_malformed_query_and_path_parameters_are_refused_on_every_route(
    signed_in: tuple[AuthClient, Account], backend_url: str, backend_secrets: dict[str, str]
) -> None:
    """N10: every route the backend serves (from /internal/routes), called by a signed-in user with a NUL or a
    repeated query parameter, and with a NUL in each path parameter, answers 400 naming the parameter (a
    server-only route: 404), never a 5xx; nothing behind the refusal runs."""
    client, _ = signed_in
    routes = authz.served_routes(backend_url, backend_secrets["ops_token"])
    failures = []
    for route in routes:
        probes = {
            name: (authz.concrete_path(route.path), query, named)
            for name, (query, named) in MALFORMED_PARAMETERS.items()
        }
        if authz.concrete_path(route.path) != route.path:
            probes["NUL in a path parameter"] = (authz.concrete_path(route.path, "%00abc"), "", "path parameter")
        for name, (path, query, named) in probes.items():
            label = f"{route.method} {route.path} {name}"
            try:
                response = client.http.request(route.method, f"{backend_url}{path}?{query}", follow_redirects=False)
            except httpx.TransportError as exc:  # the server dropped the connection after a failure
                failures.append(f"{label}: {exc!r}")
                continue
            if route.access == "SERVER_ONLY" and response.status_code == 404:
                continue
            if response.status_code != 400 or named not in response.text:
                failures.append(f"{label}: {response.status_code} {response.text[:120]}")
    assert not failures, f"{len(failures)} malformed parameters were not refused with a 400 naming them:\n" + "\n".join(
        failures
    )
    session = expect(
        client.get("/get-session", params={"disableRefresh": "true"}), "a well-formed query after the sweep"
    )
    assert session, "the sweep signed the user out: something behind a refusal ran"


def test_malformed_stripe_signature_is_refused_not_a_500(new_client: ClientFactory) -> None:
    """F25: a non-ASCII timestamp in Stripe-Signature is a refused signature (400), not a 500."""
    client = new_client()
    header = f"t=\u00a0{int(time.time())},v1=00".encode("latin-1")
    response = client.http.post(client.url("/stripe/webhook"), content=b"{}", headers={"stripe-signature": header})
    assert response.status_code == 400, f"a malformed Stripe-Signature answered {response.status_code}"


def test_camel_case_bodies_work_and_errors_never_echo_input(signed_in: tuple[AuthClient, Account]) -> None:
    """F26/F30: the camelCase body Better Auth clients send works, and a validation error names fields only."""
    client, account = signed_in
    wrong = client.post(
        "/change-password", {"currentPassword": account.password, "newPasswordX": "MySecretNewPassw0rd!"}
    )
    assert wrong.status_code == 400, f"an incomplete change-password body answered {wrong.status_code}"
    for leak in (account.password, "MySecretNewPassw0rd!", "errors.pydantic.dev", "input_value"):
        assert leak not in wrong.text, f"the validation error echoes {leak[:12]!r}: {wrong.text[:200]}"
    new_password = "Camel-Case-Passw0rd!"
    changed = client.post("/change-password", {"currentPassword": account.password, "newPassword": new_password})
    assert changed.status_code == 200, (
        f"the camelCase change-password body answered {changed.status_code}: {changed.text[:200]}"
    )


def test_operational_endpoints_are_not_public(backend_url: str) -> None:
    """F28: /metrics needs the operator token; /readyz tells outsiders ready or not, nothing more; no Server header."""
    metrics = httpx.get(f"{backend_url}/metrics", timeout=10)
    assert metrics.status_code in (401, 403, 404), f"anonymous /metrics answered {metrics.status_code}"
    ready = httpx.get(f"{backend_url}/readyz", timeout=10)
    assert set(ready.json()) == {"status"}, f"anonymous /readyz discloses {sorted(ready.json())}"
    assert "server" not in ready.headers, f"answers name the server software: {ready.headers['server']}"
