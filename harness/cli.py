"""The `harness` command: up, down, deploy, smoke, rehearse, status."""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import entry_points
from pathlib import Path

from rich.console import Console

from harness import stack
from harness.project import Project, ProjectError
from harness.providers import DEFAULT_PROVIDER, PROVIDERS
from harness.providers.base import ProviderError

console = Console(stderr=True)
SUITE_DIR = Path(__file__).parent / "suite"


def _progress(message: str) -> None:
    console.print(f"[dim]harness[/] {message}")


def _options(pairs: list[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"harness: --option expects KEY=VALUE, got {pair!r}")
        options[key] = value
    return options


def cmd_up(args: argparse.Namespace, project: Project) -> int:
    running = stack.up(project, args.provider, _options(args.option), _progress)
    endpoints = running.handle.endpoints
    if args.json:
        print(endpoints.to_json(reveal=args.show_secrets))
    else:
        for service in endpoints.services:
            console.print(f"  {service.describe()}")
        for key, value in endpoints.to_dict(reveal=args.show_secrets).items():
            if key != "services" and value is not None:
                print(f"{key}={value}")
    return 0


def cmd_down(args: argparse.Namespace, project: Project) -> int:
    if not stack.down(project, keep_data=args.keep_data, progress=_progress):
        console.print(f"nothing is running for {project.root}")
    return 0


def cmd_deploy(args: argparse.Namespace, project: Project) -> int:
    running = stack.load(project)
    results = stack.deploy(running, _progress)
    failed = [r for r in results if r.status == "failed"]
    urls = {key: running.deployment.get(key) for key in ("backend_url", "auth_base_url", "frontend_url")}
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
        console.print(f"[red]{result.name} failed:[/] {result.detail}")
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
        argv += ["--harness-report", str(Path(args.report).resolve())]
    if getattr(args, "keep", False):
        argv.append("--harness-keep")
    for pair in getattr(args, "option", []):
        argv += ["--harness-option", pair]
    if args.workers:
        argv += ["-n", str(args.workers), "--dist", "loadgroup"]
    if args.junitxml:
        argv += ["--junitxml", str(Path(args.junitxml).resolve())]
    return argv + list(args.pytest_args)


def _run_pytest(argv: list[str]) -> int:
    import pytest

    return int(pytest.main(argv))


def cmd_smoke(args: argparse.Namespace, project: Project) -> int:
    stack.load(project)  # fail early and clearly when nothing is deployed
    return _run_pytest(pytest_args(project, args, provider=None))


def cmd_rehearse(args: argparse.Namespace, project: Project) -> int:
    return _run_pytest(pytest_args(project, args, provider=args.provider))


def cmd_status(args: argparse.Namespace, project: Project) -> int:
    running = stack.load(project)
    data = {
        "provider": running.handle.provider,
        "run_dir": str(running.handle.run_dir),
        "endpoints": running.handle.endpoints.to_dict(),
        "deployment": {k: v for k, v in running.deployment.items() if k != "steps"},
    }
    print(json.dumps(data, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description="Rehearse a Kernia deployment against its stack.")
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
            sub.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="provider option")
        sub.add_argument("--report", help="write the JSON report to this file")
        sub.add_argument("--junitxml", help="write JUnit XML to this file")
        sub.add_argument("-n", "--workers", type=int, default=0, help="pytest-xdist workers (0: run in-process)")
        sub.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
        sub.set_defaults(func=func)

    status = commands.add_parser("status", help="show the running stack and deployment")
    status.set_defaults(func=cmd_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        project = Project.load(args.project)
        return args.func(args, project)
    except (ProjectError, ProviderError, stack.StackError) as exc:
        console.print(f"[red]harness: {exc}[/]")
        return 2
    except KeyboardInterrupt:
        console.print("[red]harness: interrupted[/]")
        return 130


if __name__ == "__main__":
    sys.exit(main())
