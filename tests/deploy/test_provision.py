"""Step 1 against a real PostgreSQL: the app's role owns its database, also when the database already existed."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from harness.deploy.provision import _provision_database
from harness.services import postgres
from tests.helpers.native import StartFn

pytestmark = pytest.mark.slow


def test_a_database_the_superuser_created_is_handed_to_the_app_role(start_native: StartFn) -> None:
    """The postgres image creates POSTGRES_DB owned by POSTGRES_USER; migrate runs as the app role, which may
    create tables in ``public`` (PostgreSQL >= 15) only once it owns the database."""
    admin_url = start_native(postgres.SERVICE).endpoints["database_url"]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE preexisting")  # owned by the superuser, as the image leaves it

    detail = _provision_database(admin_url, "preexisting_app", "preexisting", "app-password")

    assert "reused" in detail
    app_url = psycopg.conninfo.make_conninfo(admin_url, user="preexisting_app", password="app-password")
    app_url = psycopg.conninfo.make_conninfo(app_url, dbname="preexisting")
    with psycopg.connect(app_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE alembic_probe (id int)")
        owner = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'preexisting'")
        assert owner.fetchone() == ("preexisting_app",)


def test_without_the_ownership_hand_over_the_app_role_is_refused(start_native: StartFn) -> None:
    """Negative control: the same database left to the superuser refuses the app role's CREATE TABLE."""
    admin_url = start_native(postgres.SERVICE).endpoints["database_url"]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE preexisting")
        conn.execute(sql.SQL("CREATE ROLE preexisting_app LOGIN PASSWORD 'app-password'"))
    app_url = psycopg.conninfo.make_conninfo(admin_url, user="preexisting_app", password="app-password")
    with (
        psycopg.connect(psycopg.conninfo.make_conninfo(app_url, dbname="preexisting"), autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("CREATE TABLE alembic_probe (id int)")
