"""What a backup promises, written beside the dump as JSON: per-table row counts and content checksums, the
migration head, the schema and Kernia versions, and the dump's SHA-256.

Each table gets two digests, both computed without loading the table into memory:

- ``checksum``, portable: SHA-256 of ``COPY (SELECT ... ORDER BY ...) TO STDOUT`` streamed row by row into
  hashlib. Rows are ordered by primary key (or by the whole row when there is none) in byte order (COLLATE
  "C") and text output settings are pinned, so any server, any version, any collation agrees.
- ``row_hash``, fast: the sum modulo 2**64 of PostgreSQL's ``hash_record_extended`` of every row, computed in
  the server (no text output, nothing sent). Hash functions may differ between platforms or major versions,
  so it is used only where a probe value hashes the same as on the backup's server; a table with a column
  type PostgreSQL cannot hash (``json``) has none. Verification falls back to ``checksum`` otherwise.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from harness.backup.database import SYSTEM_SCHEMAS
from harness.errors import BackupError

FORMAT_VERSION = 1
_FILE_CHUNK = 1 << 20

_TABLES = f"""
SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN {SYSTEM_SCHEMAS} AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"
"""
_COLUMNS = f"""
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname NOT IN {SYSTEM_SCHEMAS} AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C", a.attnum
"""
_HASH_PROBE = """
SELECT hash_record_extended(ROW('kernia'::text, 42::bigint, true, 1.5::numeric, '2026-01-01'::date,
                                '{"a": [1]}'::jsonb, 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6'::uuid), 0)::text
"""
_MODULUS = 2**64
_PRIMARY_KEY = """
SELECT a.attname, t.typcollation <> 0 FROM pg_index i
JOIN unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
JOIN pg_type t ON t.oid = a.atttypid
WHERE i.indrelid = %s AND i.indisprimary ORDER BY k.position
"""


@dataclass(frozen=True)
class TableRef:
    oid: int
    schema: str
    name: str

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class TableDigest:
    name: str  # schema-qualified, e.g. public.session
    rows: int
    checksum: str | None  # SHA-256 of the COPY text output in a stable order (None: not computed)
    row_hash: str | None  # sum of the rows' server-side hashes (None: not computed, or not hashable)


@dataclass(frozen=True)
class DatabaseDigest:
    """What verification compares: the schema's fingerprint, the migration head and every table's digest."""

    schema_version: str
    migration_head: str | None
    hash_probe: str  # the server's hash of a fixed row: equal probes mean comparable row hashes
    tables: tuple[TableDigest, ...]


@dataclass(frozen=True)
class DumpInfo:
    file: str  # name of the dump, beside the manifest
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    database: str
    created_at: str
    server_version: str
    kernia_version: str | None
    digest: DatabaseDigest
    dump: DumpInfo
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("digest"))  # flat JSON: schema_version, migration_head, tables at the top
        return data

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """Read a manifest; a missing, unreadable or future-format file is refused, naming it."""
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise BackupError(
                f"manifest {path} not found: a backup is the .dump file plus its .manifest.json beside it; "
                "copy both, or take a new backup with `harness backup`"
            ) from None
        except (OSError, ValueError) as exc:
            raise BackupError(f"manifest {path} is unreadable ({exc}): take a new backup") from exc
        version = data.get("format_version") if isinstance(data, dict) else None
        if version != FORMAT_VERSION:
            raise BackupError(
                f"manifest {path} has format version {version!r}, this harness reads {FORMAT_VERSION}: "
                "use the harness version that wrote it, or take a new backup"
            )
        try:
            digest = DatabaseDigest(
                schema_version=data["schema_version"],
                migration_head=data["migration_head"],
                hash_probe=data["hash_probe"],
                tables=tuple(TableDigest(**t) for t in data["tables"]),
            )
            dump = DumpInfo(**data["dump"])
            manifest = cls(
                database=data["database"],
                created_at=data["created_at"],
                server_version=data["server_version"],
                kernia_version=data["kernia_version"],
                digest=digest,
                dump=dump,
            )
        except (KeyError, TypeError) as exc:
            raise BackupError(f"manifest {path} lacks {exc}: it is damaged; take a new backup") from exc
        if not isinstance(dump.file, str) or Path(dump.file).name != dump.file or dump.file in ("", ".."):
            raise BackupError(  # the dump lies beside its manifest: a path would point elsewhere
                f"manifest {path} names its dump {dump.file!r}, not a file name beside it: it is damaged; take "
                "a new backup"
            )
        return manifest


def digest_database(conn: psycopg.Connection) -> DatabaseDigest:
    """Both digests of every user table, read in the connection's transaction (the dump's snapshot)."""
    tables = []
    for table in list_tables(conn):
        rows, checksum = ordered_checksum(conn, table)
        summed = row_hash_sum(conn, table)
        tables.append(TableDigest(table.qualified, rows, checksum, summed[1] if summed else None))
    return DatabaseDigest(schema_version(conn), migration_head(conn), hash_probe(conn), tuple(tables))


def list_tables(conn: psycopg.Connection) -> list[TableRef]:
    """The user tables the manifest digests."""
    return [TableRef(*row) for row in conn.execute(_TABLES).fetchall()]


def hash_probe(conn: psycopg.Connection) -> str:
    """The server's hash of a fixed row: equal probes mean row hashes are comparable across servers."""
    return str(conn.execute(_HASH_PROBE).fetchone()[0])


def schema_version(conn: psycopg.Connection) -> str:
    """Fingerprint of the ordered table/column/type list: equal schemas give equal fingerprints."""
    rows = conn.execute(_COLUMNS).fetchall()
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


def migration_head(conn: psycopg.Connection) -> str | None:
    """Alembic's revision(s), comma-separated; None when the database has no alembic_version table."""
    if conn.execute("SELECT to_regclass('alembic_version')").fetchone() == (None,):
        return None
    rows = conn.execute("SELECT version_num FROM alembic_version ORDER BY 1").fetchall()
    return ",".join(row[0] for row in rows) or None


def row_hash_sum(conn: psycopg.Connection, table: TableRef) -> tuple[int, str] | None:
    """Row count and the sum of the rows' hashes, in the server; None when a column type has no hash."""
    query = sql.SQL(
        "SELECT count(*), coalesce(sum(hash_record_extended(ROW(t.*), 0)::numeric), 0) % {} FROM ONLY {} AS t"
    ).format(sql.Literal(_MODULUS), sql.Identifier(table.schema, table.name))
    try:
        with conn.transaction():  # a savepoint: an unhashable type must not abort the snapshot's transaction
            rows, total = conn.execute(query).fetchone()
    except psycopg.errors.UndefinedFunction:
        return None
    return int(rows), f"{int(total):016x}"


def ordered_checksum(conn: psycopg.Connection, table: TableRef) -> tuple[int, str]:
    """Row count and SHA-256 of the table's text output in primary-key (or whole-row) byte order."""
    key = conn.execute(_PRIMARY_KEY, (table.oid,)).fetchall()
    if key:
        order = sql.SQL(", ").join(
            sql.SQL('{} COLLATE "C"' if collatable else "{}").format(sql.Identifier(column))
            for column, collatable in key
        )
    else:  # no primary key: the whole row's text orders duplicates next to each other, so any order is equal
        order = sql.SQL('(ROW(t.*)::text) COLLATE "C"')
    source = sql.Identifier(table.schema, table.name)
    query = sql.SQL("COPY (SELECT * FROM ONLY {} AS t ORDER BY {}) TO STDOUT").format(source, order)
    digest = hashlib.sha256()
    rows = 0
    with conn.cursor() as cur, cur.copy(query) as copy:
        for row in copy:  # one text-format row per item; its newline is the only unescaped one
            digest.update(row)
            rows += 1
    return rows, digest.hexdigest()


def sha256_file(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_FILE_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def kernia_version() -> str | None:
    try:
        return importlib.metadata.version("kernia")
    except importlib.metadata.PackageNotFoundError:
        return None


def utc_now() -> datetime:
    return datetime.now(UTC)
