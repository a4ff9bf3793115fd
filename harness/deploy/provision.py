"""Step 1: provision the database (its own role and database) and the secret manager (KV v2, the backend's secrets)."""

from __future__ import annotations

import secrets
from urllib.parse import quote, urlsplit

import hvac
import psycopg
from psycopg import sql

from harness.deploy.context import Context, StepFailed
from harness.project import app_role
from harness.services.vault.store import generate_backend_secrets


def app_database_url(admin_url: str, *, role: str, password: str, database: str) -> str:
    """The backend's own URL: same server as the admin URL, its own role and database, asyncpg driver."""
    parts = urlsplit(admin_url)
    port = f":{parts.port}" if parts.port else ""
    return f"postgresql+asyncpg://{role}:{quote(password, safe='')}@{parts.hostname}{port}/{database}"


def _provision_database(admin_url: str, role: str, database: str, password: str) -> str:
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
            role_exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            verb = sql.SQL("ALTER") if role_exists else sql.SQL("CREATE")
            conn.execute(
                sql.SQL("{} ROLE {} LOGIN PASSWORD {}").format(verb, sql.Identifier(role), sql.Literal(password))
            )
            db_exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
            # A reused database may belong to the superuser (the postgres image creates POSTGRES_DB owned by
            # POSTGRES_USER); since PostgreSQL 15 only the database owner may create tables in its public schema.
            verb = "ALTER DATABASE {} OWNER TO {}" if db_exists else "CREATE DATABASE {} OWNER {}"
            conn.execute(sql.SQL(verb).format(sql.Identifier(database), sql.Identifier(role)))
    except psycopg.Error as exc:
        raise StepFailed(f"database provisioning failed: {exc}".strip()) from exc
    return f"database {database} owned by role {role} ({'reused' if db_exists else 'created'})"


def run(ctx: Context) -> str:
    """Step 1: create the app's role and database and store its secrets in Vault, keeping existing ones."""
    slug = ctx.project.slug
    role, database = app_role(slug), slug
    store = ctx.vault
    ctx.deployment.vault_path, ctx.deployment.database, ctx.deployment.role = store.path, database, role
    try:
        kv_detail = store.ensure_kv2()
        existing = store.read() if store.exists() else {}
    except hvac.exceptions.VaultError as exc:
        raise StepFailed(f"secret manager at {store.addr} refused provisioning: {exc}") from exc
    except OSError as exc:
        raise StepFailed(f"secret manager at {store.addr} is unreachable: {exc}") from exc

    # Re-provisioning keeps the stored secrets: rotating them is a deliberate, separate drill.
    password = urlsplit(existing["database_url"]).password if "database_url" in existing else None
    password = password or secrets.token_urlsafe(24)
    db_detail = _provision_database(ctx.endpoints.database_url, role, database, password)
    values = {**generate_backend_secrets(), **existing}
    values["database_url"] = app_database_url(
        ctx.endpoints.database_url, role=role, password=password, database=database
    )
    if values != existing:
        version = store.write(values)
        secret_detail = f"secrets written to {store.mount}/{store.path} (version {version})"
    else:
        secret_detail = f"secrets already at {store.mount}/{store.path}"
    return f"{db_detail}; {kv_detail}; {secret_detail}"
