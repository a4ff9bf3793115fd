"""Database engine and migration-state helpers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .settings import Settings

SOURCE_ROOT = Path(__file__).resolve().parents[2]


def project_root() -> Path:
    """Where ``alembic.ini`` lives: the source checkout, or the working directory of an installed copy."""
    for candidate in (SOURCE_ROOT, Path.cwd()):
        if (candidate / "alembic.ini").is_file():
            return candidate
    raise FileNotFoundError("alembic.ini not found next to the sources or in the working directory")


def create_engine(settings: Settings) -> AsyncEngine:
    """One pooled engine per process; ``pool_pre_ping`` survives database restarts (restore drills)."""
    return create_async_engine(
        settings.database_url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True
    )


def migration_head(root: Path | None = None) -> str | None:
    """The head revision of the migration scripts shipped with this code."""
    from alembic.config import Config  # imported here: the operator commands (manage.py) never need it
    from alembic.script import ScriptDirectory

    root = root or project_root()
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


async def database_revision(engine: AsyncEngine) -> str | None:
    """The revision recorded in the database (``None`` when never migrated)."""
    async with engine.connect() as conn:
        exists = await conn.run_sync(lambda sync: sync.dialect.has_table(sync, "alembic_version"))
        if not exists:
            return None
        return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
