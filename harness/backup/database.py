"""Connections to one database of the stack's server, with the session settings that make text output stable.

Checksums hash PostgreSQL's text output, which depends on DateStyle, TimeZone, float and bytea formatting:
pinning them makes a manifest taken on one server comparable with a database restored on another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from harness.errors import BackupError
from harness.services import postgres
from harness.services.postgres.tools import PgClient

STABLE_OUTPUT = " ".join(
    f"-c {setting}"
    for setting in (
        "DateStyle=ISO,MDY",
        "TimeZone=UTC",
        "IntervalStyle=postgres",
        "extra_float_digits=1",
        "bytea_output=hex",
    )
)
SYSTEM_SCHEMAS = "('pg_catalog', 'information_schema')"


@dataclass(frozen=True)
class Server:
    """The PostgreSQL server backup and restore work on: a superuser URL to its maintenance database, and the
    client tools (pg_dump, pg_restore) for a server major version. Nothing here knows which stack runs it."""

    admin_url: str
    client: Callable[[int], PgClient]


def server_address(admin_url: str) -> str:
    """``host:port`` of the server, for error messages that must not show the password."""
    params = conninfo_to_dict(admin_url)
    return f"{params.get('host', 'localhost')}:{params.get('port', postgres.PORT)}"


def database_url(admin_url: str, database: str) -> str:
    """The superuser's connection string for ``database`` on the same server."""
    settings = {"options": STABLE_OUTPUT, "application_name": "harness-backup"}
    return make_conninfo(admin_url, dbname=database, **settings)


@contextmanager
def connect(admin_url: str, database: str, *, missing_hint: str) -> Iterator[psycopg.Connection]:
    """Connect to ``database``; a missing database or an unreachable server becomes a BackupError."""
    with admin_connection(admin_url) as admin:
        require_database(admin, database, missing_hint)
    with psycopg.connect(database_url(admin_url, database)) as conn:
        yield conn


@contextmanager
def admin_connection(admin_url: str) -> Iterator[psycopg.Connection]:
    """Autocommit superuser connection; an unreachable server becomes a BackupError."""
    try:
        conn = psycopg.connect(admin_url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise BackupError(
            f"PostgreSQL at {server_address(admin_url)} is unreachable ({_first_line(exc)}): "
            "start the stack with `harness up`, or check the database URL"
        ) from exc
    with conn:
        yield conn


def database_names(admin: psycopg.Connection) -> list[str]:
    """The server's non-template databases, for checks and error messages."""
    rows = admin.execute("SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1").fetchall()
    return [row[0] for row in rows]


def reserved_databases(admin: psycopg.Connection) -> list[str]:
    """The server's templates and the maintenance database this connection uses: a restore must neither create
    them (they exist, hidden from ``database_names``) nor drop or fill them."""
    rows = admin.execute(
        "SELECT datname FROM pg_database WHERE datistemplate OR datname = current_database() ORDER BY 1"
    ).fetchall()
    return [row[0] for row in rows]


def require_database(admin: psycopg.Connection, database: str, hint: str) -> None:
    """Raise a BackupError naming the existing databases when ``database`` is missing."""
    names = database_names(admin)
    if database not in names:
        existing = ", ".join(names)
        raise BackupError(f"database {database!r} is not on the server (it has: {existing}): {hint}")


def user_relation_count(admin_url: str, database: str) -> int:
    """Tables, sequences, views ... outside the system schemas: 0 means the database is empty."""
    with psycopg.connect(database_url(admin_url, database)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE n.nspname NOT IN {SYSTEM_SCHEMAS} AND n.nspname NOT LIKE 'pg\\_%'"
        ).fetchone()
    return int(row[0]) if row else 0


def role_exists(admin: psycopg.Connection, role: str) -> bool:
    return admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None


def drop_database(admin: psycopg.Connection, database: str) -> None:
    """Drop ``database`` even with open connections (restore --force replaces it)."""
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


def create_database(admin: psycopg.Connection, database: str, owner: str) -> None:
    """An empty database from template0 owned by ``owner``, ready for pg_restore."""
    admin.execute(
        sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0").format(
            sql.Identifier(database), sql.Identifier(owner)
        )
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
