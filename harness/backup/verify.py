"""`harness verify`: compare a database with a backup's manifest, table by table, naming every difference.

A database of another schema cannot be compared row by row: that is refused up front with both versions
named, rather than reported as every table differing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg

from harness.backup.database import connect
from harness.backup.manifest import (
    Manifest,
    TableDigest,
    TableRef,
    hash_probe,
    list_tables,
    migration_head,
    ordered_checksum,
    row_hash_sum,
    schema_version,
)
from harness.errors import BackupError


@dataclass(frozen=True)
class TableDifference:
    """One table where the database and the backup's manifest disagree."""

    name: str
    expected: TableDigest | None  # None: the table is not in the backup
    actual: TableDigest | None  # None: the table is missing from the database

    def describe(self) -> str:
        expected, actual = self.expected, self.actual
        if actual is None:
            rows = expected.rows if expected else 0
            return f"{self.name}: missing from the database (the backup has {rows} rows)"
        if expected is None:
            return f"{self.name}: not in the backup (the database has {actual.rows} rows)"
        if actual.rows != expected.rows:
            return f"{self.name}: {actual.rows} rows, the backup has {expected.rows}"
        field = "row_hash" if actual.row_hash is not None else "checksum"
        found, recorded = (str(getattr(d, field))[:12] for d in (actual, expected))
        both = f"{actual.rows} rows in both"
        return f"{self.name}: content differs ({both}; {field} {found}…, the backup's {recorded}…)"


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of comparing a database with a backup's manifest, table by table."""

    database: str
    differences: tuple[TableDifference, ...]
    tables: int
    rows: int
    seconds: float
    method: str  # how content was compared: "row hashes" (same server hash functions) or "ordered SHA-256"

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def message(self) -> str:
        if self.ok:
            return f"database {self.database!r} matches the backup: {self.tables} tables, {self.rows} rows"
        lines = [f"database {self.database!r} differs from the backup in {len(self.differences)} table(s):"]
        lines += [f"  - {d.describe()}" for d in self.differences]
        return "\n".join(lines)


def verify_database(admin_url: str, manifest: Manifest, db_name: str) -> VerificationResult:
    """Digest ``db_name`` the way the backup was digested and compare every table with ``manifest``."""
    started = time.perf_counter()
    hint = f"check --db, or restore the backup into it first with `harness restore BACKUP --db {db_name}`"
    with connect(admin_url, db_name, missing_hint=hint) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        _require_same_schema(conn, manifest, db_name)
        expected = {t.name: t for t in manifest.digest.tables}
        fast = hash_probe(conn) == manifest.digest.hash_probe
        found = {t.qualified: _digest(conn, t, expected.get(t.qualified), fast) for t in list_tables(conn)}
    differences = tuple(
        TableDifference(name, expected.get(name), found.get(name))
        for name in sorted(expected.keys() | found.keys())
        if not _matches(expected.get(name), found.get(name))
    )
    rows = sum(t.rows for t in found.values())
    method = "row hashes" if fast else "ordered SHA-256"
    return VerificationResult(db_name, differences, len(found), rows, time.perf_counter() - started, method)


def _digest(
    conn: psycopg.Connection,
    table: TableRef,
    expected: TableDigest | None,
    fast: bool,
) -> TableDigest:
    """The cheapest digest comparable with ``expected``: the row-hash sum where the backup has one and this
    server hashes like the backup's, else the portable ordered checksum."""
    if fast and expected is not None and expected.row_hash is not None:
        summed = row_hash_sum(conn, table)
        if summed is not None:
            return TableDigest(table.qualified, summed[0], None, summed[1])
    rows, checksum = ordered_checksum(conn, table)
    return TableDigest(table.qualified, rows, checksum, None)


def _matches(expected: TableDigest | None, actual: TableDigest | None) -> bool:
    if expected is None or actual is None or expected.rows != actual.rows:
        return False
    if actual.row_hash is not None:
        return actual.row_hash == expected.row_hash
    return actual.checksum == expected.checksum


def _require_same_schema(conn: psycopg.Connection, manifest: Manifest, db_name: str) -> None:
    actual = schema_version(conn)
    if actual != manifest.digest.schema_version:
        raise BackupError(
            f"the manifest describes schema {manifest.digest.schema_version} (migration head "
            f"{manifest.digest.migration_head!r}, Kernia {manifest.kernia_version}) but database "
            f"{db_name!r} has schema {actual} (migration head {migration_head(conn)!r}): they cannot be "
            "compared. Verify with a backup taken at this database's schema, or restore this backup into a "
            "fresh database"
        )
