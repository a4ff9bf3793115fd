"""Backup, restore and verification against a real PostgreSQL 18 and a real S3 server (moto), with the
negative controls the issue asks for: every tampering is caught and named."""

from __future__ import annotations

import dataclasses
import json
import secrets
import shutil
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest

from harness.backup import (
    Backup,
    BackupError,
    Manifest,
    bucket_for,
    download,
    restore_backup,
    upload,
    verify_database,
)
from harness.backup.database import database_url
from harness.backup.manifest import sha256_file
from harness.backup.storage import s3_client
from harness.drills.recovery import missing_seed_rows, seeded_rows, seeded_rows_are_restored
from harness.drills.results import DrillError
from harness.drills.seed import Seed, SeededUser
from harness.ports import free_port
from harness.stack import Running
from tests.helpers.drill_stack import MIGRATION_HEAD, OWNER, SLUG, USERS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("recovery")]


def _new_name() -> str:
    return f"restored_{secrets.token_hex(4)}"


def _sql(running: Running, db: str, statement: str) -> list[tuple]:
    with psycopg.connect(database_url(running.handle.endpoints.database_url, db), autocommit=True) as conn:
        cur = conn.execute(statement)
        return cur.fetchall() if cur.description else []


def _copy_backup(backup: Backup, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(backup.manifest_path, dest / backup.manifest_path.name)
    return Path(shutil.copy2(backup.dump_path, dest / backup.dump_path.name))


def test_backup_writes_dump_and_manifest(backup: Backup) -> None:
    manifest = Manifest.load(backup.manifest_path)
    assert backup.dump_path.name.startswith(f"{SLUG}-") and backup.dump_path.suffix == ".dump"
    assert backup.dump_path.read_bytes()[:5] == b"PGDMP"  # custom format
    assert sha256_file(backup.dump_path) == (manifest.dump.sha256, manifest.dump.size)
    assert manifest.digest.migration_head == MIGRATION_HEAD
    assert manifest.server_version.startswith("18.")
    rows = {t.name: t.rows for t in manifest.digest.tables}
    assert [t.name for t in manifest.digest.tables if t.row_hash is None] == ["public.audit_event"]  # json
    assert all(t.checksum for t in manifest.digest.tables)
    assert rows == {
        "public.alembic_version": 1,
        "public.apikey": USERS,
        "public.audit_event": USERS // 10,
        "public.session": USERS,
        "public.user": USERS,
    }


def test_restore_into_fresh_database_verifies(running: Running, backup: Backup) -> None:
    name = _new_name()
    result = restore_backup(running.database(), backup.dump_path, name, owner=OWNER)
    assert (result.database, result.migration_head, result.replaced) == (name, MIGRATION_HEAD, False)
    # A backend connecting as its own role must own what it migrates.
    owners = _sql(running, name, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
    assert owners == [(f"{SLUG}_app",)]
    database_owner = f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{name}'"
    assert _sql(running, "postgres", database_owner) == [(f"{SLUG}_app",)]
    verification = verify_database(running.handle.endpoints.database_url, backup.manifest, name)
    assert verification.ok, verification.message
    assert verification.method == "row hashes"
    assert (verification.tables, verification.rows) == (5, 1 + 3 * USERS + USERS // 10)


NEGATIVE_CONTROLS = {
    "table emptied": ("TRUNCATE apikey", "public.apikey", f"public.apikey: 0 rows, the backup has {USERS}"),
    "row changed": (
        "UPDATE \"user\" SET name = 'Mallory' WHERE id = 'usr_000000007'",
        "public.user",
        "public.user: content differs",
    ),
    "one session deleted": (
        "DELETE FROM session WHERE id = 'ses_000000003'",
        "public.session",
        f"public.session: {USERS - 1} rows, the backup has {USERS}",
    ),
    "audit row changed (no primary key)": (
        "UPDATE audit_event SET metadata = '{\"user\": 0}' WHERE metadata::text = '{\"user\" : 1}'",
        "public.audit_event",
        "public.audit_event: content differs",
    ),
}


@pytest.mark.parametrize("control", NEGATIVE_CONTROLS, ids=list(NEGATIVE_CONTROLS))
def test_verification_names_the_tampered_table(running: Running, backup: Backup, control: str) -> None:
    statement, table, expected_line = NEGATIVE_CONTROLS[control]
    name = _new_name()
    restore_backup(running.database(), backup.dump_path, name, owner=OWNER)
    _sql(running, name, statement)
    result = verify_database(running.handle.endpoints.database_url, backup.manifest, name)
    assert not result.ok
    assert [d.name for d in result.differences] == [table]
    assert expected_line in result.message


def test_verification_without_comparable_row_hashes(running: Running, backup: Backup) -> None:
    """A server hashing differently (another platform or major version) gets the portable checksums."""
    foreign = dataclasses.replace(backup.manifest.digest, hash_probe="hashed-elsewhere")
    manifest = dataclasses.replace(backup.manifest, digest=foreign)
    name = _new_name()
    restore_backup(running.database(), backup.dump_path, name, owner=OWNER)
    intact = verify_database(running.handle.endpoints.database_url, manifest, name)
    assert intact.ok and intact.method == "ordered SHA-256"
    _sql(running, name, "UPDATE apikey SET enabled = false WHERE id = 'key_000000009'")
    tampered = verify_database(running.handle.endpoints.database_url, manifest, name)
    assert [d.name for d in tampered.differences] == ["public.apikey"]
    assert "public.apikey: content differs (50 rows in both; checksum" in tampered.message


@pytest.mark.parametrize("damage", ["flipped byte", "truncated"])
def test_restore_refuses_damaged_dump(running: Running, backup: Backup, tmp_path: Path, damage: str) -> None:
    dump = _copy_backup(backup, tmp_path)
    data = bytearray(dump.read_bytes())
    if damage == "flipped byte":
        data[len(data) // 2] ^= 0x01
    else:
        del data[len(data) // 2 :]
    dump.write_bytes(bytes(data))
    name = _new_name()
    with pytest.raises(BackupError, match="corrupted" if damage == "flipped byte" else "truncated") as info:
        restore_backup(running.database(), dump, name, owner=OWNER)
    assert str(dump) in str(info.value)
    assert _sql(running, "postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == []


def test_restore_over_a_non_empty_database_needs_force(running: Running, backup: Backup) -> None:
    name = _new_name()
    restore_backup(running.database(), backup.dump_path, name, owner=OWNER)
    _sql(running, name, "DELETE FROM session")
    with pytest.raises(BackupError, match="--force") as info:
        restore_backup(running.database(), backup.dump_path, name, owner=OWNER)
    assert f"'{name}' is not empty" in str(info.value)
    assert _sql(running, name, "SELECT count(*) FROM session") == [(0,)]  # untouched

    result = restore_backup(running.database(), backup.dump_path, name, force=True, owner=OWNER)
    assert result.replaced
    assert verify_database(running.handle.endpoints.database_url, backup.manifest, name).ok


def test_restore_refuses_the_live_database_without_force(running: Running, backup: Backup) -> None:
    with pytest.raises(BackupError, match=f"'{SLUG}' is not empty"):
        restore_backup(running.database(), backup.dump_path, SLUG, owner=OWNER)
    assert _sql(running, SLUG, 'SELECT count(*) FROM "user"') == [(USERS,)]


@pytest.mark.parametrize(("name", "force"), [("template0", False), ("template1", False), ("postgres", True)])
def test_restore_refuses_the_servers_own_databases(running: Running, backup: Backup, name: str, force: bool) -> None:
    databases = "SELECT datname FROM pg_database ORDER BY 1"
    before = _sql(running, "postgres", databases)
    with pytest.raises(BackupError, match=f"'{name}' is one of the server's templates or its maintenance") as info:
        restore_backup(running.database(), backup.dump_path, name, owner=OWNER, force=force)
    assert f"--db {SLUG}_restored" in str(info.value)
    assert _sql(running, "postgres", databases) == before


def test_restore_into_an_existing_empty_database(running: Running, backup: Backup) -> None:
    name = _new_name()
    _sql(running, "postgres", f'CREATE DATABASE "{name}" OWNER "{SLUG}_app"')
    result = restore_backup(running.database(), backup.dump_path, name, owner=OWNER)
    assert not result.replaced
    assert verify_database(running.handle.endpoints.database_url, backup.manifest, name).ok


def test_missing_backup_is_named(running: Running, tmp_path: Path) -> None:
    missing = tmp_path / "drill-20260101T000000.000Z.dump"
    with pytest.raises(BackupError, match="not found") as info:
        restore_backup(running.database(), missing, _new_name(), owner=OWNER)
    assert str(missing) in str(info.value) and "harness backup" in str(info.value)


def test_missing_manifest_is_named(running: Running, backup: Backup, tmp_path: Path) -> None:
    dump = _copy_backup(backup, tmp_path)
    (tmp_path / backup.manifest_path.name).unlink()
    with pytest.raises(BackupError, match=r"manifest .* not found"):
        restore_backup(running.database(), dump, _new_name(), owner=OWNER)


def test_verify_names_a_wrong_database(running: Running, backup: Backup) -> None:
    with pytest.raises(BackupError, match="'no_such_db' is not on the server") as info:
        verify_database(running.handle.endpoints.database_url, backup.manifest, "no_such_db")
    assert SLUG in str(info.value) and "harness restore" in str(info.value)


def test_verify_refuses_a_manifest_of_another_schema(running: Running, backup: Backup) -> None:
    name = _new_name()
    restore_backup(running.database(), backup.dump_path, name, owner=OWNER)
    _sql(running, name, 'ALTER TABLE "user" ADD COLUMN "twoFactorEnabled" boolean')
    with pytest.raises(BackupError, match="cannot be compared") as info:
        verify_database(running.handle.endpoints.database_url, backup.manifest, name)
    assert backup.manifest.digest.schema_version in str(info.value)


def test_restore_confirms_the_migration_head(running: Running, backup: Backup, tmp_path: Path) -> None:
    dump = _copy_backup(backup, tmp_path)
    manifest_path = tmp_path / backup.manifest_path.name
    data = json.loads(manifest_path.read_text())
    data["migration_head"] = "0002"
    manifest_path.write_text(json.dumps(data))
    mismatch = r"migration head is '0001', while the manifest .* records '0002'"
    with pytest.raises(BackupError, match=mismatch):
        restore_backup(running.database(), dump, _new_name(), owner=OWNER)


def test_upload_then_verified_download_restores(running: Running, backup: Backup, tmp_path: Path) -> None:
    endpoints = running.handle.endpoints
    uploaded = upload(backup, endpoints)
    assert uploaded.bucket == bucket_for(SLUG) == "drill-backups"
    assert uploaded.verified_by == "ChecksumSHA256"
    fetched = download(endpoints, uploaded.bucket, uploaded.dump_key, tmp_path / "fetched")
    assert sha256_file(fetched)[0] == backup.sha256
    name = _new_name()
    restore_backup(running.database(), fetched, name, owner=OWNER)
    assert verify_database(running.handle.endpoints.database_url, backup.manifest, name).ok


def test_download_refuses_a_tampered_object(running: Running, backup: Backup, tmp_path: Path) -> None:
    endpoints = running.handle.endpoints
    uploaded = upload(backup, endpoints, bucket="drill-tampered")
    s3 = s3_client(endpoints.aws_endpoint_url)
    s3.put_object(Bucket="drill-tampered", Key=uploaded.dump_key, Body=backup.dump_path.read_bytes()[:-10])
    with pytest.raises(BackupError, match="truncated"):
        download(endpoints, "drill-tampered", uploaded.dump_key, tmp_path)


def test_unreachable_object_store_keeps_the_local_backup(running: Running, backup: Backup) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    endpoints = dataclasses.replace(running.handle.endpoints, aws_endpoint_url=dead)
    with pytest.raises(BackupError, match="unreachable") as info:
        upload(backup, endpoints)
    assert dead in str(info.value) and str(backup.dump_path) in str(info.value)
    assert backup.dump_path.is_file()


def test_restore_needs_the_app_role(running: Running, backup: Backup) -> None:
    name = _new_name()
    with pytest.raises(BackupError, match=r"role 'ghost_app' does not exist.*provision"):
        restore_backup(running.database(), backup.dump_path, name, owner="ghost_app")
    assert _sql(running, "postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == []


def _seed(tag: str) -> Seed:
    user = {name: SeededUser(f"{name}@example.test", f"usr_{name}", "pw", f"tok_{name}.sig") for name in ROLES}
    ids = {field.name: f"{field.name}_{tag}" for field in dataclasses.fields(Seed) if field.type == "str"}
    return Seed(**{**ids, **user, "scim_user_ids": ("usr_scim",), "audit_event_ids": ("evt_1", "evt_2")})


ROLES = ("admin", "owner", "member")


def test_the_recovery_drill_names_a_seeded_row_the_restore_lost(running: Running) -> None:
    """Negative control of the drill's loss check: with every seeded row present it finds none missing; with one
    deleted it names that row, and the drill's check fails on it."""
    seed, name = _seed("loss"), _new_name()
    admin_url = running.handle.endpoints.database_url
    _sql(running, "postgres", f'CREATE DATABASE "{name}"')
    try:
        for table, column, value in seeded_rows(seed):
            _sql(running, name, f'CREATE TABLE IF NOT EXISTS "{table}" ("{column}" text)')
            _sql(running, name, f'INSERT INTO "{table}" ("{column}") VALUES (\'{value}\')')
        assert missing_seed_rows(admin_url, name, seed) == ()
        _sql(running, name, f"DELETE FROM apikey WHERE id = '{seed.api_key_id}'")
        missing = missing_seed_rows(admin_url, name, seed)
        assert missing == (f"apikey.id={seed.api_key_id}",)
        drill = SimpleNamespace(missing_rows=missing, restore=SimpleNamespace(database=name), seed=seed)
        with pytest.raises(DrillError, match=f"seeded rows missing from {name}: .*apikey.id={seed.api_key_id}"):
            seeded_rows_are_restored(drill)  # type: ignore[arg-type]
    finally:
        _sql(running, "postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
