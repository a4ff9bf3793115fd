"""Step 2: apply the project's Alembic migrations, then fail on drift between models and migrations."""

from __future__ import annotations

from harness.commands import run_command
from harness.deploy.context import Context, StepFailed
from harness.migrations import DRIFT_EXIT


def run(ctx: Context) -> str:
    """Step 2: migrate the deployed database to head."""
    current = apply(ctx, ctx.vault.read()["database_url"])
    ctx.deployment.migration_head = current.split()[0] if current else "unknown"
    return f"upgrade head applied, no drift; current revision {current}"


def apply(ctx: Context, url: str) -> str:
    """Migrate the database at ``url`` to head in a subprocess (its exit code tells drift from a failed upgrade);
    returns the current revision as Alembic words it."""
    result = run_command(
        [ctx.python, "-m", "harness.migrations"], cwd=ctx.project.root, env={"DATABASE_URL": url}, timeout=300
    )
    if result.returncode == DRIFT_EXIT:
        raise StepFailed(
            "migration drift: the models and the migrations disagree — generate a revision with "
            f"`alembic revision --autogenerate` and review it. {result.describe_failure()}"
        )
    if not result.ok:
        raise StepFailed(f"migrations did not apply: {result.describe_failure()}")
    return result.tail(1)
