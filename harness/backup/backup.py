"""`harness backup`: a custom-format pg_dump and its manifest, read from one snapshot so they agree.

The manifest's transaction exports its snapshot and pg_dump imports it (``--snapshot``): rows written while
the backup runs are in neither, so verification of a restore compares like with like. The dump and the
digest run at the same time (pg_dump in its own process), and files appear under their final names only once
complete.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from harness.backup.artifacts import DUMP_SUFFIX, MANIFEST_SUFFIX, backup_stem
from harness.backup.database import Server, connect
from harness.backup.manifest import (
    DumpInfo,
    Manifest,
    digest_database,
    kernia_version,
    sha256_file,
    utc_now,
)
from harness.errors import BackupError


@dataclass(frozen=True)
class Backup:
    dump_path: Path
    manifest_path: Path
    manifest: Manifest
    seconds: float

    @property
    def sha256(self) -> str:
        return self.manifest.dump.sha256

    @property
    def size(self) -> int:
        return self.manifest.dump.size


def create_backup(server: Server, slug: str, out_dir: Path, *, database: str | None = None) -> Backup:
    """Dump ``database`` (default: the project's own, ``<slug>``) into ``out_dir`` with its manifest."""
    started = time.perf_counter()
    database = database or slug
    admin_url = server.admin_url
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file in its place or on its path, a read-only or missing mount
        raise BackupError(
            f"backup directory {out_dir} cannot be created ({exc.strerror}): nothing was dumped; choose a "
            "directory that exists or can be created as --out"
        ) from exc
    when = utc_now()
    stem = backup_stem(slug, when)
    dump_path, manifest_path = out_dir / f"{stem}{DUMP_SUFFIX}", out_dir / f"{stem}{MANIFEST_SUFFIX}"
    if dump_path.exists() or manifest_path.exists():
        message = f"{dump_path} already exists: nothing is overwritten; retry, or choose another --out"
        raise BackupError(message)
    partial = dump_path.with_name(dump_path.name + ".partial")
    hint = "provision it first (`harness deploy` runs the provision step), or check the project's slug"
    try:
        with connect(admin_url, database, missing_hint=hint) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            server_major = conn.info.server_version // 10000
            server_version = str(conn.execute("SHOW server_version").fetchone()[0]).split()[0]
            snapshot = str(conn.execute("SELECT pg_export_snapshot()").fetchone()[0])
            client = server.client(server_major)
            with partial.open("xb") as out:
                dump = client.start(client.dump_argv(database, snapshot=snapshot), stdout=out)
                try:
                    digest = digest_database(conn)
                finally:
                    dump.wait()
        sha256, size = sha256_file(partial)
        manifest = Manifest(
            database=database,
            created_at=when.isoformat(),
            server_version=server_version,
            kernia_version=kernia_version(),
            digest=digest,
            dump=DumpInfo(file=dump_path.name, sha256=sha256, size=size),
        )
        partial.rename(dump_path)
        manifest.save(manifest_path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Backup(dump_path, manifest_path, manifest, time.perf_counter() - started)
