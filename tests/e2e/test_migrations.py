"""Migrations against a real PostgreSQL 18: `alembic upgrade head` then `alembic check`, and drift is caught."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from kernia.db.migrations.codegen import resolve_full_schema
from kernia.db.schema import CORE_MODELS
from kernia_sqlalchemy.adapter import build_metadata
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from harness import stack
from harness.deploy import migrate, provision
from harness.deploy.context import Context, StepFailed
from harness.project import Project
from tests.helpers.render import render_project

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("migrations")]


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[stack.Running]:
    """One native stack (its PostgreSQL is what matters) for every rendered project of this module."""
    holder = render_project(tmp_path_factory.mktemp("holder") / "holder", project_name="Migration Holder")
    running = stack.up(Project.load(holder), "native", {"aws": "moto"})
    try:
        yield running
    finally:
        stack.down(running.project)


def context_for(services: stack.Running, project_dir: Path) -> Context:
    """Deploy another rendered project onto the same services (its own database, role and Vault path)."""
    handle = services.handle
    return Context(project=Project.load(project_dir), endpoints=handle.endpoints, run_dir=handle.run_dir)


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param({"project_name": "Defaults Auth"}, id="defaults"),
        pytest.param(
            {"project_name": "All On Auth", "with_sms": True, "with_object_storage": True, "with_queue": True},
            id="all-on",
        ),
    ],
)
def test_upgrade_head_then_check_is_clean(services: stack.Running, tmp_path: Path, answers: dict) -> None:
    ctx = context_for(services, render_project(tmp_path / "project", **answers))
    provision.run(ctx)
    detail = migrate.run(ctx)
    assert "no drift" in detail
    assert ctx.deployment.migration_head not in (None, "", "unknown")


def test_drift_between_models_and_migrations_fails_the_step(services: stack.Running, tmp_path: Path) -> None:
    """Negative control: a column added to the models without a migration must fail the migrate step."""
    project_dir = render_project(tmp_path / "project", project_name="Drift Auth")
    schema = project_dir / "src" / "drift_auth" / "schema.py"
    source = schema.read_text()
    anchor = 'Column("user_agent", Text, nullable=True),'
    assert anchor in source
    schema.write_text(source.replace(anchor, anchor + ' Column("drift_probe", Text, nullable=True),'))
    ctx = context_for(services, project_dir)
    provision.run(ctx)
    with pytest.raises(StepFailed, match="migration drift"):
        migrate.run(ctx)


def test_stock_kernia_schema_breaks_on_postgres_where_the_projects_holds(
    services: stack.Running, tmp_path: Path
) -> None:
    """Negative control for defect 1: Kernia 0.1.0's stock metadata has no ``apikey.id`` and stores API keys'
    epoch-millisecond timestamps in INTEGER, which PostgreSQL refuses; the project's metadata fixes both."""
    project_dir = render_project(tmp_path / "project", project_name="Schema Auth")
    sys.path.insert(0, str(project_dir / "src"))
    try:
        schema = importlib.import_module("schema_auth.schema")
    finally:
        sys.path.remove(str(project_dir / "src"))
    stock = build_metadata(resolve_full_schema(CORE_MODELS, schema.schema_plugins()))
    assert "id" not in stock.tables["apikey"].c, "Kernia's stock apikey table gained an id: re-check defect 1"
    assert "id" in schema.METADATA.tables["apikey"].c

    epoch_ms = 1_764_200_000_000
    admin_url = services.handle.endpoints.database_url
    for name, metadata in (("stock", stock), ("fixed", schema.METADATA)):
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "schema_{name}"')
        url = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/schema_{name}"
        engine = create_engine(url)
        try:
            metadata.create_all(engine)
            column_type = metadata.tables["apikey"].c["lastRequest"].type.compile(dialect=engine.dialect)
            with engine.connect() as conn:
                if name == "stock":
                    with pytest.raises(DBAPIError, match="out of range"):
                        conn.execute(text(f"SELECT CAST(:ms AS {column_type})"), {"ms": epoch_ms})
                else:
                    assert conn.execute(text(f"SELECT CAST(:ms AS {column_type})"), {"ms": epoch_ms}).scalar()
        finally:
            engine.dispose()
