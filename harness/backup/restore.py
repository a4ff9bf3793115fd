"""`harness restore`: an intact dump into a fresh database owned by the app's role, then its migration head.

The dump is checked against its manifest before anything on the server changes. Objects are restored with
``--no-owner --role=<slug>_app`` so a backend connecting as its own role owns and can migrate every table,
whichever role owned them on the source server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from harness.backup.artifacts import check_dump, locate_backup
from harness.backup.database import (
    Server,
    admin_connection,
    connect,
    create_database,
    database_names,
    drop_database,
    reserved_databases,
    role_exists,
    user_relation_count,
)
from harness.backup.manifest import Manifest, migration_head
from harness.errors import BackupError

MAX_NAME_BYTES = 63  # PostgreSQL's identifier limit; longer names are silently truncated


@dataclass(frozen=True)
class RestoreResult:
    """The restored database, its owner and migration head, and the manifest it came from."""

    database: str
    owner: str
    migration_head: str | None
    seconds: float
    replaced: bool  # True when --force dropped an existing database first
    manifest: Manifest


def restore_backup(
    server: Server, backup_path: Path, db_name: str, *, owner: str, force: bool = False
) -> RestoreResult:
    """Restore ``backup_path`` into ``db_name``, its tables owned by ``owner`` (the backend's role,
    ``harness.project.app_role``); a non-empty database is replaced only with ``force``."""
    started = time.perf_counter()
    dump, manifest = locate_backup(backup_path)
    check_dump(dump, manifest)
    _check_name(db_name)
    admin_url = server.admin_url
    with admin_connection(admin_url) as admin:
        if db_name in reserved_databases(admin):
            raise BackupError(
                f"database {db_name!r} is one of the server's templates or its maintenance database: nothing was "
                f"changed. Restore into a new name (--db {manifest.database}_restored)"
            )
        if not role_exists(admin, owner):
            raise BackupError(
                f"role {owner!r} does not exist on this server: provision the stack first (`harness deploy` "
                "runs the provision step), so the restored tables get the backend's own role as owner"
            )
        exists = db_name in database_names(admin)
        relations = user_relation_count(admin_url, db_name) if exists else 0
        if relations and not force:
            raise BackupError(
                f"database {db_name!r} is not empty ({relations} tables, sequences or views): nothing was "
                f"changed. Restore into a new name (--db {db_name}_restored), or pass --force to DROP "
                f"{db_name!r} and restore in its place"
            )
        if exists and force:
            drop_database(admin, db_name)
        created = not exists or force
        if created:
            create_database(admin, db_name, owner)
        server_major = admin.info.server_version // 10000
    client = server.client(server_major)
    try:
        with dump.open("rb") as stream:
            client.run(client.restore_argv(db_name, role=owner), stdin=stream)
    except BackupError as exc:
        if created:
            with admin_connection(admin_url) as admin:
                drop_database(admin, db_name)
        raise BackupError(f"restore of {dump} into {db_name!r} failed, nothing was kept: {exc}") from exc
    with connect(admin_url, db_name, missing_hint="it vanished during the restore; retry") as conn:
        head = migration_head(conn)
    if head != manifest.digest.migration_head:
        raise BackupError(
            f"database {db_name!r} was restored but its migration head is {head!r}, while the manifest "
            f"of {dump} records {manifest.digest.migration_head!r}: the dump and manifest do not belong "
            "together; restore a backup whose two files were taken together"
        )
    return RestoreResult(db_name, owner, head, time.perf_counter() - started, exists and force, manifest)


def _check_name(db_name: str) -> None:
    if not db_name or len(db_name.encode()) > MAX_NAME_BYTES:
        limit = f"1 to {MAX_NAME_BYTES} bytes"
        raise BackupError(f"database name {db_name!r} is not usable: give --db a name of {limit}")
