"""A Kernia-shaped database on a real native stack, shared by the recovery tests and tests/benchmarks/recovery.py.

The stack is provisioned the way a deployment is (harness.deploy.provision: database ``<slug>`` owned by
``<slug>_app``), and the schema is created by the app's role, as the backend's migrations would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from harness import stack
from harness.deploy import provision
from harness.project import Project, app_role
from harness.stack import Running

SLUG = "drill"
OWNER = app_role(SLUG)  # the role provisioning creates; restored tables belong to it
MIGRATION_HEAD = "0001"
USERS = 50  # users seeded per test module

SCHEMA = """
CREATE TABLE "user" (
    id text PRIMARY KEY, email text NOT NULL UNIQUE, "emailVerified" boolean NOT NULL, name text,
    "createdAt" bigint NOT NULL, "updatedAt" bigint NOT NULL, role text, banned boolean
);
CREATE TABLE session (
    id text PRIMARY KEY, "userId" text NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    token text NOT NULL UNIQUE, "expiresAt" bigint NOT NULL, "ipAddress" text, "userAgent" text,
    "createdAt" bigint NOT NULL, "updatedAt" bigint NOT NULL
);
CREATE TABLE apikey (
    id text PRIMARY KEY, key text NOT NULL, "referenceId" text NOT NULL REFERENCES "user" (id),
    enabled boolean, "expiresAt" bigint, "createdAt" bigint NOT NULL, "updatedAt" bigint NOT NULL,
    metadata text
);
CREATE INDEX ix_apikey_key ON apikey (key);
CREATE TABLE audit_event (event text NOT NULL, metadata json NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
"""

# Every user gets a session and an API key; every tenth user an audit event (no primary key, and a json
# column PostgreSQL cannot hash, as in the template's audit_event).
SEED = """
INSERT INTO alembic_version VALUES ('{head}');
INSERT INTO "user"
SELECT 'usr_' || lpad(g::text, 9, '0'), 'user' || g || '@example.test', g % 2 = 0, 'User ' || g,
       1700000000000 + g, 1700000000000 + g, CASE WHEN g % 100 = 0 THEN 'admin' ELSE 'user' END, false
FROM generate_series(1, {users}) AS g;
INSERT INTO session
SELECT 'ses_' || lpad(g::text, 9, '0'), 'usr_' || lpad(g::text, 9, '0'), md5('token' || g),
       1800000000000 + g, '127.0.0.1', 'drill/1.0', 1700000000000 + g, 1700000000000 + g
FROM generate_series(1, {users}) AS g;
INSERT INTO apikey
SELECT 'key_' || lpad(g::text, 9, '0'), encode(sha256(('key' || g)::bytea), 'hex'),
       'usr_' || lpad(g::text, 9, '0'), true, NULL, 1700000000000 + g, 1700000000000 + g,
       '{{"scope": "read"}}'
FROM generate_series(1, {users}) AS g;
INSERT INTO audit_event
SELECT 'user.created', json_build_object('user', g),
       timestamptz '2026-01-01 00:00:00+00' + g * interval '1 s'
FROM generate_series(1, {users}, 10) AS g;
"""


def write_project(root: Path) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    answers = f"project_slug: {SLUG}\nauth_path: /api/auth\npostgres_major: 18\n"
    (root / ".copier-answers.yml").write_text(answers)
    return Project.load(root)


def app_url(running: Running) -> str:
    """The backend's own libpq URL (its role, its database), as provisioning stored it in Vault."""
    url = running.context().vault.read()["database_url"]
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def create_schema(running: Running, users: int) -> None:
    with psycopg.connect(app_url(running)) as conn:
        conn.execute(SCHEMA)
        conn.execute(SEED.format(users=users, head=MIGRATION_HEAD))
        conn.execute("ANALYZE")


@contextmanager
def drill_stack(root: Path, users: int) -> Iterator[Running]:
    """A native stack (moto for S3) with the drill database provisioned and seeded; always stopped."""
    project = write_project(root)
    running = stack.up(project, "native", {"aws": "moto"})
    try:
        provision.run(running.context())
        create_schema(running, users)
        yield running
    finally:
        stack.down(project)
