"""The secret-rotation drill: rotate ``kernia_secret`` in Vault (KV v2), run the backend through the grace period and
the retirement of the old version, and prove what must survive does while old cookies stop working.

The steps follow the rendered project's runbook: write a new version holding every key with a new kernia_secret,
restart the backend (it signs with the new secret and still accepts the previous version's), retire the old version
(destroy it), restart again. The drill runs its own backends and never restarts the deployed one, which keeps the
secret it read at start; so at the end the drill writes the original values back as a new version and destroys its
own temporary version: a restart of the deployed backend then finds the secret it runs with, and its users' sessions
survive. The last check proves exactly that with a backend started on what Vault finally holds.
"""

from __future__ import annotations

import secrets
import uuid
from contextlib import ExitStack, closing
from dataclasses import dataclass, field

from harness.actions import client_for, create_organization, expect, scim_users, session_user_id, sign_in
from harness.client import SESSION_COOKIE
from harness.deploy.context import Context
from harness.drills.backends import Backend, own_backend
from harness.drills.lock import vault_secret_lock
from harness.drills.results import DrillReport, require
from harness.drills.seed import SeededUser, provision_scim, signed_in_user
from harness.services.mail.client import MailpitClient


@dataclass(frozen=True)
class Credentials:
    """What a user holds before the rotation: a session cookie signed with the old secret, an API key, a SCIM token."""

    user: SeededUser
    scim_user_ids: tuple[str, ...]
    api_key: str = field(repr=False)
    scim_token: str = field(repr=False)


def run_rotation_drill(ctx: Context) -> DrillReport:
    """Rotate, check the grace period, retire the old version, check again, put the original secret back, check."""
    with vault_secret_lock(ctx.run_dir):
        return _rotate(ctx)


def _rotate(ctx: Context) -> DrillReport:
    report = DrillReport("rotation")
    vault = ctx.vault
    tag = uuid.uuid4().hex[:10]
    with report.phase("seed"):
        held = _credentials(ctx, tag)
    original_version, original = vault.current_version(), vault.read()
    with report.phase("rotate"):
        rotated_version = vault.write({**original, "kernia_secret": secrets.token_urlsafe(48)})
    try:
        with ExitStack() as backends:
            with report.phase("grace"):
                grace = backends.enter_context(own_backend(ctx, f"rotation-grace-{tag}"))
                migrated = _grace_checks(report, grace, held)
            with report.phase("retirement"):
                vault.destroy_versions([original_version])
                retired = backends.enter_context(own_backend(ctx, f"rotation-retired-{tag}"))
                _retirement_checks(report, grace, retired, held, migrated)
    finally:
        restored_version = vault.write(original)  # the deployed backend's secret, as a new current version
        vault.destroy_versions([rotated_version])
    with report.phase("restore"), own_backend(ctx, f"rotation-restored-{tag}") as restarted:
        report.record(
            "vault_left_usable_by_deployed_backend",
            lambda: _usable_by_deployed_backend(restarted, held, vault.read(), original, restored_version),
        )
    return report


def _credentials(ctx: Context, tag: str) -> Credentials:
    """A user of the deployed backend with a session, an API key and a SCIM token, all issued before rotation."""
    with (
        closing(MailpitClient(ctx.endpoints.mailpit_api_url)) as mail,
        client_for(ctx.deployment["auth_base_url"], ctx.deployment["frontend_url"]) as client,
    ):
        user = signed_in_user(client, mail, f"rotation-{tag}@example.com")
        key = expect(client.post("/api-key/create", {"name": f"rotation-{tag}"}), "API key creation")["key"]
        organization_id = create_organization(client, f"Rotation {tag}", f"rotation-{tag}")
        token, scim_ids = provision_scim(client, f"rotation-scim-{tag}", tag, organization_id=organization_id, users=1)
    return Credentials(user, scim_ids, key, token)


def _grace_checks(report: DrillReport, grace: Backend, held: Credentials) -> str | None:
    """The old cookie still signs its user in, and the answer re-issues it signed with the new secret."""
    with grace.client(cookie=held.user.cookie) as browser:
        response = browser.get("/get-session")
        found = ((expect(response, "get-session") or {}).get("user") or {}).get("id")
        reissued = response.cookies.get(SESSION_COOKIE)

    def accepted() -> str:
        """Proves grace: a cookie signed with the previous secret still signs in."""
        require(found == held.user.user_id, f"a cookie issued before rotation was refused during grace (got {found})")
        return "a cookie signed with the previous secret still signs its user in"

    def migrated() -> str:
        """Proves the grace answer re-signs the cookie with the new secret."""
        require(reissued, "the grace-period answer did not re-issue the session cookie")
        require(reissued != held.user.cookie, "the re-issued cookie is the old one, not re-signed")
        return "the answer re-issued the session cookie signed with the new secret"

    report.record("grace_accepts_cookie_issued_before_rotation", accepted)
    report.record("grace_reissues_cookie_signed_with_new_secret", migrated)
    return reissued


def _retirement_checks(
    report: DrillReport, grace: Backend, retired: Backend, held: Credentials, migrated: str | None
) -> None:
    """After the old version is destroyed and the backend restarted: old cookies refused, everything else works.

    The grace backend still runs (as a replica not yet restarted would), so credentials are proven on both.
    """
    user = held.user

    def old_cookie_refused() -> str:
        """Proves the retired secret no longer signs anyone in."""
        with retired.client(cookie=user.cookie) as browser:
            found = session_user_id(browser)
        require(found is None, f"a cookie signed with the retired secret still signs in user {found}")
        return "a cookie signed with the retired secret is refused"

    def new_cookies_accepted() -> str:
        """Proves the cookie re-signed during grace outlives retirement."""
        require(migrated, "no cookie was re-issued during grace")
        with retired.client(cookie=migrated) as browser:
            found = session_user_id(browser)
        require(found == user.user_id, f"the cookie re-issued during grace was refused (got {found})")
        return "the cookie re-issued during grace keeps its user signed in after retirement"

    def passwords() -> str:
        """Proves password sign-in still works on both backends after rotation."""
        for backend in (grace, retired):
            with backend.client() as browser:
                cookie = sign_in(browser, user.account)
            with retired.client(cookie=cookie) as browser:
                require(session_user_id(browser) == user.user_id, f"a new session from {backend.url} was refused")
        return "password sign-in works on both backends and their new sessions are accepted"

    def api_keys() -> str:
        """Proves API keys are not tied to the rotated secret."""
        for backend in (grace, retired):
            with backend.client() as browser:
                found = session_user_id(browser, headers={"x-api-key": held.api_key})
            require(found == user.user_id, f"the API key authenticated as {found} on {backend.url}")
        return "the API key created before rotation authenticates on both backends"

    def scim_tokens() -> str:
        """Proves SCIM tokens are not tied to the rotated secret."""
        for backend in (grace, retired):
            with backend.client() as idp:
                listed = {u["id"] for u in scim_users(idp, held.scim_token)}
            require(set(held.scim_user_ids) <= listed, f"the SCIM token lost its users on {backend.url}")
        return "the SCIM token issued before rotation lists its users on both backends"

    report.record("retirement_refuses_cookie_signed_with_old_secret", old_cookie_refused)
    report.record("retirement_accepts_cookie_signed_with_new_secret", new_cookies_accepted)
    report.record("passwords_survive_rotation", passwords)
    report.record("api_keys_survive_rotation", api_keys)
    report.record("scim_tokens_survive_rotation", scim_tokens)


def _usable_by_deployed_backend(
    restarted: Backend, held: Credentials, current: dict[str, str], original: dict[str, str], version: int
) -> str:
    """A backend started on Vault's final state (a restart of the deployed one) keeps the deployed sessions."""
    changed = sorted(k for k in original.keys() | current.keys() if original.get(k) != current.get(k))
    require(not changed, f"Vault's current version differs from the deployed backend's secret in {changed}")
    with restarted.client(cookie=held.user.cookie) as browser:
        found = session_user_id(browser)
    require(found == held.user.user_id, "a restart on Vault's final state would sign out the deployed backend's users")
    return f"Vault version {version} holds the deployed backend's secret; a restart keeps its sessions"
