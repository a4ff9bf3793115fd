"""The secret-rotation drill: rotate ``kernia_secret`` in Vault (KV v2), run the backend through the grace period and
the retirement of the old version, and prove what must survive does while old cookies stop working.

The steps follow the rendered project's runbook: write a new version holding every key with a new kernia_secret,
restart the backend (it signs with the new secret and still accepts the previous version's), retire the old version
(destroy it), restart again. The drill runs its own backends and never restarts the deployed one, which keeps the
secret it read at start; so at the end the drill writes the original values back as a new version and destroys its
own temporary version: a restart of the deployed backend then finds the secret it runs with, and its users' sessions
survive. The last check proves exactly that with a backend started on what Vault finally holds.

``ROTATION`` is the drill: its checks are functions of a ``Rotation`` state, probed at three stages (grace,
retirement, restored) while the backends they need run.
"""

from __future__ import annotations

import secrets
import uuid
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.actions import (
    client_for,
    create_organization,
    expect,
    promote_admin,
    register_sso_provider,
    scim_users,
    session_user_id,
    sign_in,
)
from harness.client import SESSION_COOKIE
from harness.deploy.context import Context
from harness.drills.backends import Backend, own_backend
from harness.drills.lock import vault_secret_lock
from harness.drills.results import Drill, DrillCheck, DrillError, DrillReport, require
from harness.drills.seed import SeededUser, provision_scim, signed_in_user
from harness.services.mail.client import MailpitClient

if TYPE_CHECKING:
    from harness.stack import Running

GRACE, RETIREMENT, RESTORED = "grace", "retirement", "restored"


@dataclass(frozen=True)
class Credentials:
    """What a user holds before the rotation: a session cookie signed with the old secret, an API key, a SCIM token."""

    user: SeededUser
    scim_user_ids: tuple[str, ...]
    api_key: str = field(repr=False)
    scim_token: str = field(repr=False)


@dataclass
class Rotation:
    """What the checks read, filled in as the drill goes: the credentials held before rotation, the backends
    started on each Vault state, and what the grace backend answered for the old cookie."""

    held: Credentials
    grace: Backend | None = None
    grace_user: str | None = None  # the user the old cookie signed in during grace
    reissued: str | None = field(default=None, repr=False)  # the cookie the grace answer re-signed
    retired: Backend | None = None
    restarted: Backend | None = None  # started on what Vault holds at the end, as a restart of the deployed one
    original: dict[str, str] = field(default_factory=dict, repr=False)
    final: dict[str, str] = field(default_factory=dict, repr=False)
    restored_version: int = 0

    @property
    def both(self) -> tuple[Backend, Backend]:
        """The grace and the retired backend, both running during the retirement checks."""
        if self.grace is None or self.retired is None:
            raise DrillError("the retirement checks ran before both backends were started")
        return self.grace, self.retired


def run_rotation_drill(running: Running) -> DrillReport:
    """Rotate, check the grace period, retire the old version, check again, put the original secret back, check."""
    ctx = running.context()
    tag = uuid.uuid4().hex[:10]
    state = Rotation(_credentials(ctx, tag))  # through the deployed backend: no need to hold the lock yet
    with vault_secret_lock(ctx.run_dir):
        return _rotate(ctx, state, tag, ROTATION.report()).finish()


def _rotate(ctx: Context, state: Rotation, tag: str, report: DrillReport) -> DrillReport:
    vault = ctx.vault
    original_version, state.original = vault.current_version(), vault.read()
    rotated_version = vault.write({**state.original, "kernia_secret": secrets.token_urlsafe(48)})
    try:
        with ExitStack() as backends:
            state.grace = backends.enter_context(own_backend(ctx, f"rotation-grace-{tag}"))
            with state.grace.client(cookie=state.held.user.cookie) as browser:
                response = browser.get("/get-session")
                state.grace_user = ((expect(response, "get-session") or {}).get("user") or {}).get("id")
                state.reissued = response.cookies.get(SESSION_COOKIE)
            report.run_stage(GRACE, state)
            vault.destroy_versions([original_version])
            state.retired = backends.enter_context(own_backend(ctx, f"rotation-retired-{tag}"))
            report.run_stage(RETIREMENT, state)
    finally:
        state.restored_version = vault.write(state.original)  # the deployed backend's secret, as a new version
        vault.destroy_versions([rotated_version])
    state.final = vault.read()
    with own_backend(ctx, f"rotation-restored-{tag}") as state.restarted:
        report.run_stage(RESTORED, state)
    return report


def _credentials(ctx: Context, tag: str) -> Credentials:
    """A user of the deployed backend with a session, an API key and a SCIM token, all issued before rotation
    (an admin verifies the domain the token provisions in for the user's organization)."""
    deployed = ctx.deployment.deployed()
    with (
        closing(MailpitClient(ctx.endpoints.mailpit_api_url)) as mail,
        client_for(deployed.auth_base_url, deployed.frontend_url) as client,
        client_for(deployed.auth_base_url, deployed.frontend_url) as admin,
    ):
        user = signed_in_user(client, mail, f"rotation-{tag}@example.com")
        key = expect(client.post("/api-key/create", {"name": f"rotation-{tag}"}), "API key creation")["key"]
        organization_id = create_organization(client, f"Rotation {tag}", f"rotation-{tag}")
        promote_admin(ctx, signed_in_user(admin, mail, f"rotation-admin-{tag}@example.com").email)
        domain = f"rotation-{tag}.example"
        register_sso_provider(admin, ctx, domain, organization_id=organization_id)
        token, scim_ids = provision_scim(
            client, f"rotation-scim-{tag}", tag, organization_id=organization_id, domain=domain, users=1
        )
    return Credentials(user, scim_ids, key, token)


# --- checks: each returns its evidence or raises DrillError ---------------------------------------------------


def grace_accepts_cookie_issued_before_rotation(state: Rotation) -> str:
    """Proves grace: a cookie signed with the previous secret still signs in."""
    found = state.grace_user
    require(found == state.held.user.user_id, f"a cookie issued before rotation was refused during grace (got {found})")
    return "a cookie signed with the previous secret still signs its user in"


def grace_reissues_cookie_signed_with_new_secret(state: Rotation) -> str:
    """Proves the grace answer re-signs the cookie with the new secret."""
    require(state.reissued, "the grace-period answer did not re-issue the session cookie")
    require(state.reissued != state.held.user.cookie, "the re-issued cookie is the old one, not re-signed")
    return "the answer re-issued the session cookie signed with the new secret"


# After the old version is destroyed and the backend restarted: old cookies refused, everything else works. The grace
# backend still runs (as a replica not yet restarted would), so credentials are proven on both.


def retirement_refuses_cookie_signed_with_old_secret(state: Rotation) -> str:
    """Proves the retired secret no longer signs anyone in."""
    _, retired = state.both
    with retired.client(cookie=state.held.user.cookie) as browser:
        found = session_user_id(browser)
    require(found is None, f"a cookie signed with the retired secret still signs in user {found}")
    return "a cookie signed with the retired secret is refused"


def retirement_accepts_cookie_signed_with_new_secret(state: Rotation) -> str:
    """Proves the cookie re-signed during grace outlives retirement."""
    _, retired = state.both
    require(state.reissued, "no cookie was re-issued during grace")
    with retired.client(cookie=state.reissued) as browser:
        found = session_user_id(browser)
    require(found == state.held.user.user_id, f"the cookie re-issued during grace was refused (got {found})")
    return "the cookie re-issued during grace keeps its user signed in after retirement"


def passwords_survive(state: Rotation) -> str:
    """Proves password sign-in still works on both backends after rotation."""
    user, (_, retired) = state.held.user, state.both
    for backend in state.both:
        with backend.client() as browser:
            cookie = sign_in(browser, user.account)
        with retired.client(cookie=cookie) as browser:
            require(session_user_id(browser) == user.user_id, f"a new session from {backend.url} was refused")
    return "password sign-in works on both backends and their new sessions are accepted"


def api_keys_survive(state: Rotation) -> str:
    """Proves API keys are not tied to the rotated secret."""
    for backend in state.both:
        with backend.client() as browser:
            found = session_user_id(browser, headers={"x-api-key": state.held.api_key})
        require(found == state.held.user.user_id, f"the API key authenticated as {found} on {backend.url}")
    return "the API key created before rotation authenticates on both backends"


def scim_tokens_survive(state: Rotation) -> str:
    """Proves SCIM tokens are not tied to the rotated secret."""
    for backend in state.both:
        with backend.client() as idp:
            listed = {u["id"] for u in scim_users(idp, state.held.scim_token)}
        require(set(state.held.scim_user_ids) <= listed, f"the SCIM token lost its users on {backend.url}")
    return "the SCIM token issued before rotation lists its users on both backends"


def leaves_vault_usable_by_deployed_backend(state: Rotation) -> str:
    """A backend started on Vault's final state (a restart of the deployed one) keeps the deployed sessions."""
    original, current = state.original, state.final
    changed = sorted(k for k in original.keys() | current.keys() if original.get(k) != current.get(k))
    require(not changed, f"Vault's current version differs from the deployed backend's secret in {changed}")
    if state.restarted is None:
        raise DrillError("no backend was started on Vault's final state")
    with state.restarted.client(cookie=state.held.user.cookie) as browser:
        found = session_user_id(browser)
    message = "a restart on Vault's final state would sign out the deployed backend's users"
    require(found == state.held.user.user_id, message)
    return f"Vault version {state.restored_version} holds the deployed backend's secret; a restart keeps its sessions"


ROTATION = Drill(
    "rotation",
    (
        DrillCheck(grace_accepts_cookie_issued_before_rotation, GRACE),
        DrillCheck(grace_reissues_cookie_signed_with_new_secret, GRACE),
        DrillCheck(retirement_refuses_cookie_signed_with_old_secret, RETIREMENT),
        DrillCheck(retirement_accepts_cookie_signed_with_new_secret, RETIREMENT),
        DrillCheck(passwords_survive, RETIREMENT),
        DrillCheck(api_keys_survive, RETIREMENT),
        DrillCheck(scim_tokens_survive, RETIREMENT),
        DrillCheck(leaves_vault_usable_by_deployed_backend, RESTORED),
    ),
    run_rotation_drill,
)
