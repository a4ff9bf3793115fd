"""Operator commands: ``python -m <package>.manage promote-admin EMAIL`` (and ``export-audit`` with S3)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from sqlalchemy import column, select, table, update

from .database import create_engine
from .project import WITH_OBJECT_STORAGE
from .roles import ADMIN_ROLE
from .settings import Settings

# Kernia's user table as a light construct: importing .schema builds every plugin's models, half a
# second of CPU per command (the harness runs promote-admin a few times per rehearsal).
USER = table("user", column("id"), column("email"), column("role"))


class CommandError(Exception):
    """A user-facing failure: printed without a traceback, exit status 1."""


async def promote_admin(settings: Settings, email: str) -> str:
    """Give the user ``role=admin``; returns the user id. Needs only DATABASE_URL (no secrets)."""
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:
            user_id = (await conn.execute(select(USER.c.id).where(USER.c.email == email))).scalar()
            if user_id is None:
                raise CommandError(f"no user with email {email!r}: sign up first, then promote")
            await conn.execute(update(USER).where(USER.c.id == user_id).values(role=ADMIN_ROLE))
    finally:
        await engine.dispose()
    return str(user_id)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}.manage", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    promote = commands.add_parser("promote-admin", help="set role=admin on an existing user")
    promote.add_argument("email")
    if WITH_OBJECT_STORAGE:
        export = commands.add_parser("export-audit", help="upload audit events as JSON lines to S3")
        export.add_argument(
            "--since-ms", type=int, default=0, help="only events created at/after this epoch ms"
        )
        export.add_argument(
            "--until-ms",
            type=int,
            default=None,
            help="only events created before this epoch ms (default: now)",
        )
    return parser


async def _run(args: argparse.Namespace, settings: Settings) -> str:
    if args.command == "promote-admin":
        user_id = await promote_admin(settings, args.email)
        return f"promoted {args.email} (user {user_id}) to {ADMIN_ROLE}"
    from .audit_export import export_audit

    key, count = await export_audit(settings, since_ms=args.since_ms, until_ms=args.until_ms)
    return f"exported {count} audit events to s3://{settings.audit_export_bucket}/{key}"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        print(asyncio.run(_run(args, Settings())))  # type: ignore[call-arg]
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
