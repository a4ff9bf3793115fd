"""The recovery drill: seed through the API, back up, upload, restore the uploaded copy into a fresh database, verify
it against the manifest, and run a second backend on it to prove that what users hold still works.

``RECOVERY`` is the drill: ``restored_backend`` sets it up and tears it down (the second backend is stopped and the
restored database dropped); each check below is a plain function of the restored state that returns its evidence or
raises DrillError, probed while the second backend runs (harness/suite/test_recovery.py reports each).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from psycopg import sql

from harness.actions import (
    client_for,
    expect,
    list_subscriptions,
    scim_users,
    session_user_id,
    sign_in,
)
from harness.backup import (
    Backup,
    RestoreResult,
    Upload,
    VerificationResult,
    bucket_for,
    create_backup,
    download,
    prepare_bucket,
    restore_backup,
    upload,
    verify_database,
)
from harness.backup.database import admin_connection, connect, drop_database
from harness.client import Account, AuthClient
from harness.drills.backends import Backend, on_database, own_backend
from harness.drills.lock import vault_secret_lock
from harness.drills.results import Drill, DrillCheck, DrillReport, require
from harness.drills.seed import Seed, seed_through_api
from harness.project import app_role
from harness.stack import Running

# Tables whose rows the seed creates: the manifest must count them and the restore must bring them back.
SEEDED_TABLES = (
    "user",
    "account",
    "session",
    "apikey",
    "subscription",
    "organization",
    "member",
    "invitation",
    "ssoProvider",
    "ssoDomain",
    "scimProvider",
    "audit_event",
)


@dataclass
class RecoveryDrill:
    """A restored database with a backend running on it, and what was seeded before the backup."""

    seed: Seed
    backup: Backup
    upload: Upload
    restore: RestoreResult
    verification: VerificationResult
    missing_rows: tuple[str, ...]  # seeded rows not found in the restored database, checked before it served
    late_cookie: str  # a session the owner opened after the backup: the restored backend must not know it
    backend: Backend

    def client(self, cookie: str | None = None) -> AuthClient:
        """A browser on the frontend's origin talking to the restored backend."""
        return self.backend.client(cookie)


def run_recovery_drill(running: Running) -> DrillReport:
    """Restore, then probe every check against the restored backend before it is stopped."""
    report = RECOVERY.report()
    with restored_backend(running, Path(running.handle.run_dir) / "drills" / "recovery") as state:
        report.run_stage(RESTORED, state)
    return report.finish()


@contextmanager
def restored_backend(running: Running, out_dir: Path) -> Iterator[RecoveryDrill]:
    """Seed, back up into ``out_dir``, upload, download, restore into ``<slug>_restored_<tag>``, verify, and start
    a backend on it; on exit the backend is stopped and the restored database dropped."""
    ctx = running.context()
    with ThreadPoolExecutor(max_workers=1) as beside:
        bucket = beside.submit(prepare_bucket, running.handle.endpoints, bucket_for(running.project.slug))
        seed = seed_through_api(ctx)
        backup = create_backup(running.database(), running.project.slug, out_dir)
        bucket.result()
    uploaded = upload(backup, running.handle.endpoints)
    late_cookie = _open_session(running, seed.owner.account)
    db_name = f"{running.project.slug}_restored_{seed.tag}"
    admin_url = running.handle.endpoints.database_url
    with ExitStack() as cleanup:
        cleanup.callback(_drop_database, admin_url, db_name)
        copy = download(running.handle.endpoints, uploaded.bucket, uploaded.dump_key, out_dir / "downloaded")
        restored = restore_backup(running.database(), copy, db_name, owner=app_role(running.project.slug))
        # verified before any backend touches the restored database
        verification = verify_database(admin_url, backup.manifest, db_name)
        missing = missing_seed_rows(admin_url, db_name, seed)
        with vault_secret_lock(running.handle.run_dir):  # the backend reads the Vault secret at start
            url = on_database(ctx.vault.read()["database_url"], db_name)
            backend = cleanup.enter_context(own_backend(ctx, f"restored-{seed.tag}", database_url=url))
        yield RecoveryDrill(seed, backup, uploaded, restored, verification, missing, late_cookie, backend)


def _drop_database(admin_url: str, db_name: str) -> None:
    with admin_connection(admin_url) as admin:
        drop_database(admin, db_name)


def _open_session(running: Running, account: Account) -> str:
    deployed = running.deployment.deployed()
    with client_for(deployed.auth_base_url, deployed.frontend_url) as client:
        return sign_in(client, account)


def seeded_rows(seed: Seed) -> list[tuple[str, str, str]]:
    """(table, column, value) of every row the seed created, to look up in the restored database."""
    users = [u.user_id for u in seed.users]
    rows = [("user", "id", user_id) for user_id in (*users, *seed.scim_user_ids)]
    rows += [("account", "userId", user_id) for user_id in (*users, *seed.scim_user_ids)]
    rows += [("session", "token", u.cookie.rpartition(".")[0]) for u in seed.users]
    rows += [("member", "userId", user_id) for user_id in (seed.owner.user_id, seed.member.user_id)]
    rows += [("invitation", "id", i) for i in (seed.member_invitation_id, seed.pending_invitation_id)]
    rows += [("audit_event", "id", event_id) for event_id in seed.audit_event_ids]
    return [
        *rows,
        ("apikey", "id", seed.api_key_id),
        ("subscription", "stripeSubscriptionId", seed.subscription_id),
        ("organization", "id", seed.organization_id),
        ("ssoProvider", "id", seed.sso_provider_id),
        ("ssoDomain", "domain", seed.sso_domain),
        ("scimProvider", "providerId", seed.scim_provider_id),
    ]


def missing_seed_rows(admin_url: str, db_name: str, seed: Seed) -> tuple[str, ...]:
    """Each seeded row absent from ``db_name``, as ``table.column=value`` (values are ids, never credentials)."""
    missing = []
    with connect(admin_url, db_name, missing_hint="the restore did not create it") as conn:
        for table, column, value in seeded_rows(seed):
            query = sql.SQL("SELECT 1 FROM {} WHERE {} = %s").format(sql.Identifier(table), sql.Identifier(column))
            if conn.execute(query, (value,)).fetchone() is None:
                shown = "<session token>" if table == "session" else value
                missing.append(f"{table}.{column}={shown}")
    return tuple(missing)


# --- checks: each returns its evidence or raises DrillError ---------------------------------------------------


def manifest_matches_restored_database(drill: RecoveryDrill) -> str:
    """Row counts and content checksums of every table equal the manifest's (compared before the backend ran)."""
    verification = drill.verification
    require(verification.ok, verification.message)
    tables = {t.name.rpartition(".")[2]: t.rows for t in drill.backup.manifest.digest.tables}
    empty = [name for name in SEEDED_TABLES if not tables.get(name)]
    require(not empty, f"the manifest counts no rows in {empty}, though the seed created some")
    counts = ", ".join(f"{name} {tables[name]}" for name in SEEDED_TABLES)
    return f"{verification.message} by {verification.method}; {counts}"


def seeded_rows_are_restored(drill: RecoveryDrill) -> str:
    """Proves every row the seed wrote before the backup is in the restored database."""
    require(not drill.missing_rows, f"seeded rows missing from {drill.restore.database}: {drill.missing_rows}")
    return f"{len(seeded_rows(drill.seed))} seeded rows found in {drill.restore.database}"


def restored_session_cookie_is_accepted(drill: RecoveryDrill) -> str:
    """Cookies issued before the backup still sign their users in."""
    for user in drill.seed.users:
        with drill.client(cookie=user.cookie) as client:
            found = session_user_id(client)
        require(found == user.user_id, f"the pre-backup session of {user.email} was refused (got user {found})")
    return f"{len(drill.seed.users)} pre-backup session cookies accepted"


def restored_backend_refuses_session_opened_after_backup(drill: RecoveryDrill) -> str:
    """Negative control: proves the second backend serves the restored database, not the live one."""
    with drill.client(cookie=drill.late_cookie) as client:
        found = session_user_id(client)
    require(found is None, f"a session opened after the backup was accepted (user {found}): is it the live database?")
    return "a session opened after the backup is unknown to the restored backend"


def restored_api_key_authenticates(drill: RecoveryDrill) -> str:
    """Proves an API key created before the backup still authenticates as its owner."""
    with drill.client() as client:
        found = session_user_id(client, headers={"x-api-key": drill.seed.api_key})
    require(found == drill.seed.owner.user_id, f"the pre-backup API key authenticated as {found}")
    return f"API key {drill.seed.api_key_id} authenticates as its owner"


def restored_scim_token_lists_its_users(drill: RecoveryDrill) -> str:
    """Proves the pre-backup SCIM token still lists the users it provisioned."""
    with drill.client() as client:
        listed = {u["id"] for u in scim_users(client, drill.seed.scim_token)}
    missing = set(drill.seed.scim_user_ids) - listed
    require(not missing, f"the SCIM token no longer lists provisioned users {sorted(missing)}")
    return f"SCIM token of {drill.seed.scim_provider_id} lists its {len(drill.seed.scim_user_ids)} users"


def restored_sso_provider_is_listed_for_its_domain(drill: RecoveryDrill) -> str:
    """Proves the SSO provider registration survived, with its domain."""
    seed = drill.seed
    with drill.client(cookie=seed.admin.cookie) as admin:
        providers = expect(admin.get("/sso/list-providers"), "/sso/list-providers")["providers"]
    domains = {p["id"]: p.get("domains") or [] for p in providers}
    require(seed.sso_provider_id in domains, f"SSO provider {seed.sso_provider_id} is not listed")
    require(seed.sso_domain in domains[seed.sso_provider_id], f"its domains are {domains[seed.sso_provider_id]}")
    return f"SSO provider {seed.sso_provider_id} listed for {seed.sso_domain}"


def restored_subscription_shows_for_its_customer(drill: RecoveryDrill) -> str:
    """Proves the Stripe subscription is restored, active and tied to its customer."""
    seed = drill.seed
    with drill.client(cookie=seed.owner.cookie) as owner:
        rows = {s.get("stripeSubscriptionId"): s for s in list_subscriptions(owner)}
    row = rows.get(seed.subscription_id)
    require(row is not None, f"subscription {seed.subscription_id} is not listed for its owner: {sorted(rows)}")
    require(row.get("stripeCustomerId") == seed.customer_id, f"it belongs to {row.get('stripeCustomerId')}")
    require(row.get("status") == "active", f"its status is {row.get('status')}")
    return f"subscription {seed.subscription_id} active for customer {seed.customer_id}"


def restored_organization_keeps_members_and_invitation(drill: RecoveryDrill) -> str:
    """Proves the organization keeps its roles and its pending invitation."""
    seed = drill.seed
    with drill.client(cookie=seed.owner.cookie) as owner:
        response = owner.get("/organization/get-full-organization", params={"organizationId": seed.organization_id})
        org = expect(response, "/organization/get-full-organization") or {}
    members = {m.get("userId"): m.get("role") for m in org.get("members", [])}
    require(members.get(seed.owner.user_id) == "owner", f"the owner is not an owner any more: {members}")
    require(members.get(seed.member.user_id) == "member", f"the invited member is not a member: {members}")
    pending = {i.get("id"): i.get("status") for i in org.get("invitations", [])}
    require(pending.get(seed.pending_invitation_id) == "pending", f"the pending invitation is gone: {pending}")
    return f"organization {seed.organization_id}: {len(members)} members, invitation still pending"


def restored_admin_is_still_admin(drill: RecoveryDrill) -> str:
    """Proves the admin keeps admin rights and the seeded audit events are restored."""
    with drill.client(cookie=drill.seed.admin.cookie) as admin:
        expect(admin.post("/admin/list-users", {}), "admin /admin/list-users")
        events = expect(admin.http.get(f"{drill.backend.url}/admin/audit-events", params={"limit": 1000}), "audit")
    listed = {e["id"] for e in events["events"]}
    missing = set(drill.seed.audit_event_ids) - listed
    require(not missing, f"{len(missing)} seeded audit events are not listed by the restored backend")
    return f"the admin lists users and the {len(drill.seed.audit_event_ids)} seeded audit events"


RESTORED = "restored"  # the one stage: the restored database verified, a second backend running on it
RECOVERY = Drill(
    "recovery",
    tuple(
        DrillCheck(probe, RESTORED)
        for probe in (
            manifest_matches_restored_database,
            seeded_rows_are_restored,
            restored_session_cookie_is_accepted,
            restored_backend_refuses_session_opened_after_backup,
            restored_api_key_authenticates,
            restored_scim_token_lists_its_users,
            restored_sso_provider_is_listed_for_its_domain,
            restored_subscription_shows_for_its_customer,
            restored_organization_keeps_members_and_invitation,
            restored_admin_is_still_admin,
        )
    ),
    run_recovery_drill,
)
