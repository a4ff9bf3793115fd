"""Step 2: apply the project's Alembic migrations, then fail on drift between models and migrations."""

from __future__ import annotations

from harness.commands import run_command
from harness.sequence import Context, StepFailed


def alembic(ctx: Context, *args: str, database_url: str | None = None):
    url = database_url or ctx.vault.read()["database_url"]
    return run_command(
        [ctx.python, "-m", "alembic", *args], cwd=ctx.project.root, env={"DATABASE_URL": url}, timeout=300
    )


def run(ctx: Context) -> str:
    upgrade = alembic(ctx, "upgrade", "head")
    if not upgrade.ok:
        raise StepFailed(f"migrations did not apply: {upgrade.describe_failure()}")
    check = alembic(ctx, "check")
    if not check.ok:
        raise StepFailed(
            "migration drift: the models and the migrations disagree — generate a revision with "
            f"`alembic revision --autogenerate` and review it. {check.describe_failure()}"
        )
    head = alembic(ctx, "current")
    current = head.tail(1) if head.ok else "unknown"
    ctx.deployment["migration_head"] = current.split()[0] if current else "unknown"
    return f"upgrade head applied, no drift; current revision {current}"
