"""The `harness` command: up, down, deploy, smoke, rehearse, status, backup, restore, verify, providers."""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import signal
import sys
from importlib.metadata import entry_points
from pathlib import Path

from harness import __version__, interrupts, stack
from harness.console import error, info, progress
from harness.errors import BackupError
from harness.options import parse_options
from harness.project import Project, ProjectError, app_role
from harness.providers import DEFAULT_PROVIDER, PROVIDERS, provider_class
from harness.providers.base import ProviderError

SUITE_DIR = Path(__file__).parent / "suite"


def _options(pairs: list[str]) -> dict[str, str]:
    try:
        return parse_options(pairs)
    except ValueError as exc:
        raise SystemExit(f"harness: {exc}") from None


def _worker_count(text: str) -> int:
    """argparse type of -n: a negative count would make xdist run in-process while no process starts the fault
    phase, so the signal checks would wait for its outcome until they time out."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of workers (0: run in-process)") from None
    if count < 0:
        raise argparse.ArgumentTypeError(f"{count} is negative: give 0 (run in-process) or more workers")
    return count


def _output_file(text: str) -> Path:
    """argparse type of --report and --junitxml: they are written when the run ends, so a path that cannot be
    written is refused before anything starts rather than losing the run's results to a traceback."""
    path = Path(text).resolve()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a directory: name a file in it, e.g. {path / 'report.json'}")
    existing = next(parent for parent in path.parents if parent.exists())  # the directories below it are created
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"{existing} is a file, so {path} cannot be created: choose another path")
    writable = os.access(path, os.W_OK) if path.exists() else os.access(existing, os.W_OK | os.X_OK)
    if not writable:
        raise argparse.ArgumentTypeError(f"{path if path.exists() else existing} is not writable: choose another path")
    return path


def cmd_up(args: argparse.Namespace, project: Project) -> int:
    """Start the services and print their endpoints (credentials masked unless --show-secrets)."""
    # detached: the stack outlives this command (a provider must not tie it to this process).
    running = stack.up(project, args.provider, {**_options(args.option), "detached": "true"}, progress)
    endpoints = running.handle.endpoints
    if args.json:
        print(endpoints.to_json(reveal=args.show_secrets))
    else:
        for service in endpoints.services:
            info(f"  {service.describe()}")
        for key, value in endpoints.to_dict(reveal=args.show_secrets).items():
            if key != "services" and value is not None:
                print(f"{key}={value}")
    return 0


def cmd_down(args: argparse.Namespace, project: Project) -> int:
    """Stop everything the project's stack runs; saying so (exit 0) when nothing runs."""
    if not stack.down(project, keep_data=args.keep_data, progress=progress):
        info(f"nothing is running for {project.root}")
    return 0


def cmd_deploy(args: argparse.Namespace, project: Project) -> int:
    """Steps 1-5 against the running stack; exit 1 naming the step that failed."""
    running = stack.load(project)
    results = stack.deploy(running, progress)
    failed = [r for r in results if r.status == "failed"]
    deployment = running.deployment
    urls = {
        "backend_url": deployment.backend_url,
        "auth_base_url": deployment.auth_base_url,
        "frontend_url": deployment.frontend_url,
    }
    if args.json:
        print(
            json.dumps(
                {
                    "status": "failed" if failed else "deployed",
                    **urls,
                    "steps": [r.to_dict() for r in results],
                },
                indent=2,
            )
        )
    elif not failed:
        for key, value in urls.items():
            print(f"{key}={value}")
    for result in failed:
        error(f"{result.name} failed: {result.detail}")
    return 1 if failed else 0


def pytest_args(project: Project, args: argparse.Namespace, *, provider: str | None) -> list[str]:
    """Arguments for a pytest run of the rehearsal suite (pure: unit-tested)."""
    argv = [
        str(SUITE_DIR),
        "-c",
        str(SUITE_DIR / "pytest.ini"),
        "--rootdir",
        str(SUITE_DIR),
        "-p",
        "no:cacheprovider",
    ]
    if not any(ep.value == "harness.plugin" for ep in entry_points(group="pytest11")):
        argv += ["-p", "harness.plugin"]
    argv += ["--harness-project", str(project.root)]
    argv += ["--harness-provider", provider] if provider else ["--harness-running"]
    if args.report:
        argv += ["--harness-report", str(args.report)]
    if getattr(args, "keep", False):
        argv.append("--harness-keep")
    if getattr(args, "require_browser", False):
        argv.append("--harness-require-browser")
    for pair in getattr(args, "option", []):
        argv += ["--harness-option", pair]
    if args.workers:
        argv += ["-n", str(args.workers), "--dist", "loadgroup"]
    if getattr(args, "recovery", False):
        argv += ["-m", "recovery or rotation"]
    elif provider is None or getattr(args, "skip_recovery", False):
        argv += ["-m", "not recovery and not rotation"]  # smoke is step 6 alone; drills belong to a rehearsal
    if args.junitxml:
        argv += ["--junitxml", str(args.junitxml)]
    return argv + list(args.pytest_args)


def _run_pytest(argv: list[str]) -> int:
    import pytest

    return int(pytest.main(argv))


def cmd_smoke(args: argparse.Namespace, project: Project) -> int:
    """Step 6 under pytest against the deployed stack."""
    stack.load(project)  # fail early and clearly when nothing is deployed
    return _run_pytest(pytest_args(project, args, provider=None))


def cmd_rehearse(args: argparse.Namespace, project: Project) -> int:
    """Up, deploy, smoke, drills and down in one pytest run (the plugin owns the stack)."""
    return _run_pytest(pytest_args(project, args, provider=args.provider))


def cmd_backup(args: argparse.Namespace, project: Project) -> int:
    """Dump, manifest and checksum; then upload and verify the stored copy unless --no-upload."""
    from harness.backup import check_bucket, create_backup, upload

    if args.bucket and not args.no_upload:
        check_bucket(args.bucket)  # before the dump, which an invalid name would make for nothing
    running = stack.load(project)
    backup = create_backup(running.database(), project.slug, Path(args.out).resolve())
    print(f"dump={backup.dump_path}")
    print(f"manifest={backup.manifest_path}")
    print(f"sha256={backup.sha256}")
    progress(f"backup: {backup.size} bytes in {backup.seconds:.2f} s")
    if not args.no_upload:
        stored = upload(backup, running.handle.endpoints, args.bucket)
        print(f"uploaded=s3://{stored.bucket}/{stored.dump_key}")
        progress(f"upload: verified by {stored.verified_by} in {stored.seconds:.2f} s")
    return 0


def cmd_restore(args: argparse.Namespace, project: Project) -> int:
    """Restore into a fresh database after checking the dump's checksum."""
    from harness.backup import locate_backup, restore_backup
    from harness.backup.artifacts import check_dump

    dump, manifest = locate_backup(Path(args.backup))  # a directory: its newest backup
    check_dump(dump, manifest)  # a missing or damaged backup is named before anything else
    progress(f"backup: {dump}")
    server = stack.load(project).database()
    result = restore_backup(server, dump, args.db, owner=app_role(project.slug), force=args.force)
    replaced = " (replaced the existing database)" if result.replaced else ""
    print(f"restored into {result.database}{replaced}, owner {result.owner}, migration head {result.migration_head}")
    return 0


def cmd_verify(args: argparse.Namespace, project: Project) -> int:
    """Compare a database with a backup's manifest; exit 1 naming every differing table."""
    from harness.backup import locate_backup, verify_database

    dump, manifest = locate_backup(Path(args.backup))  # a missing backup is named before the stack is looked up
    progress(f"backup: {dump}")
    result = verify_database(stack.load(project).handle.endpoints.database_url, manifest, args.db)
    print(result.message)
    return 0 if result.ok else 1


def cmd_status(args: argparse.Namespace, project: Project) -> int:
    """The running stack, its endpoints (masked) and deployment as JSON."""
    running = stack.load(project)
    data = {
        "provider": running.handle.provider,
        "run_dir": str(running.handle.run_dir),
        "endpoints": running.handle.endpoints.to_dict(),
        "deployment": {k: v for k, v in running.deployment.to_dict().items() if k != "steps"},
    }
    print(json.dumps(data, indent=2))
    return 0


def cmd_providers(args: argparse.Namespace, project: Project | None) -> int:
    """Each provider with its options, defaults and what they do (from the providers' Options records)."""
    for name in sorted(PROVIDERS):
        try:
            rows = provider_class(name).Options.describe()
        except ProviderError as exc:  # an optional extra is missing: say so, list the rest
            print(f"{name}: {exc}")
            continue
        print(f"{name}:" + ("" if rows else " no options"))
        for option_name, default, help_text in rows:
            print(f"  --option {option_name}={default}  {help_text}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description="Rehearse a Kernia deployment against its stack.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="rendered project directory (default: .)")
    commands = parser.add_subparsers(dest="command", required=True)
    providers = sorted(PROVIDERS)

    up = commands.add_parser("up", help="start the stack's services and print their endpoints")
    up.add_argument("--provider", choices=providers, default=DEFAULT_PROVIDER)
    up.add_argument("--json", action="store_true", help="print the endpoints as JSON")
    up.add_argument("--show-secrets", action="store_true", help="print credentials instead of masking them")
    up.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="provider option")
    up.set_defaults(func=cmd_up)

    down = commands.add_parser("down", help="stop the stack and remove its data")
    down.add_argument("--keep-data", action="store_true", help="keep the services' data directory for inspection")
    down.set_defaults(func=cmd_down)

    deploy = commands.add_parser("deploy", help="run deployment steps 1-5 against the running stack")
    deploy.add_argument("--json", action="store_true")
    deploy.set_defaults(func=cmd_deploy)

    for name, func, help_text in (
        ("smoke", cmd_smoke, "run the smoke checks (step 6) against the deployed stack"),
        ("rehearse", cmd_rehearse, "up, deploy, smoke and down in one run; non-zero on any failure"),
    ):
        sub = commands.add_parser(name, help=help_text)
        if name == "rehearse":
            sub.add_argument("--provider", choices=providers, default=DEFAULT_PROVIDER)
            sub.add_argument("--keep", action="store_true", help="leave the stack running afterwards")
            phase = sub.add_mutually_exclusive_group()
            phase.add_argument(
                "--recovery", action="store_true", help="only the recovery phase (backup/restore, rotation)"
            )
            phase.add_argument("--skip-recovery", action="store_true", help="deployment and smoke checks only")
            sub.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="provider option")
        sub.add_argument("--report", type=_output_file, help="write the JSON report to this file")
        sub.add_argument("--junitxml", type=_output_file, help="write JUnit XML to this file")
        sub.add_argument(
            "--require-browser",
            action="store_true",
            help="fail the browser checks when no Chromium is found (default: report them not run; CI: set this "
            "or HARNESS_REQUIRE_BROWSER=1)",
        )
        sub.add_argument(
            "-n", "--workers", type=_worker_count, default=0, help="pytest-xdist workers (0: run in-process)"
        )
        sub.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
        sub.set_defaults(func=func)

    backup = commands.add_parser("backup", help="pg_dump the app database with a manifest, upload it to S3")
    backup.add_argument("--out", default="backups", help="directory for the dump and manifest (default: backups)")
    backup.add_argument("--bucket", help="S3 bucket (default: <slug>-backups)")
    backup.add_argument("--no-upload", action="store_true", help="keep the backup local")
    backup.set_defaults(func=cmd_backup)

    restore = commands.add_parser("restore", help="restore a backup into a fresh database, checksum first")
    restore.add_argument("backup", help="the .dump, its .manifest.json or the --out directory (newest)")
    restore.add_argument("--db", required=True, help="database to restore into (must be new or empty)")
    restore.add_argument("--force", action="store_true", help="DROP a non-empty --db and restore in its place")
    restore.set_defaults(func=cmd_restore)

    verify = commands.add_parser("verify", help="compare a database with a backup's manifest")
    verify.add_argument("backup", help="the .dump, its .manifest.json or the --out directory (newest)")
    verify.add_argument("--db", required=True, help="database to compare")
    verify.set_defaults(func=cmd_verify)

    status = commands.add_parser("status", help="show the running stack and deployment")
    status.set_defaults(func=cmd_status)

    listing = commands.add_parser("providers", help="list the providers and their --option settings")
    listing.set_defaults(func=cmd_providers, needs_project=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    if sys.__stderr__ is not None:  # a run that seems stuck can be asked where it is: `kill -USR1 PID`
        faulthandler.register(signal.SIGUSR1, file=sys.__stderr__, all_threads=True)
    interrupts.install()
    args = build_parser().parse_args(argv)
    try:
        project = Project.load(args.project) if getattr(args, "needs_project", True) else None
        return args.func(args, project)
    except (ProjectError, ProviderError, stack.StackError, BackupError) as exc:
        error(str(exc))
        return 2
    except KeyboardInterrupt:
        error("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
