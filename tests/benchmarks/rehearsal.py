"""Full rehearsal wall time, cold (empty tool caches) and warm, broken down by step; warm native stack starts by
service; where a Docker engine answers, the compose stack's `up --wait` with the stand-in images beside them.

Cold = the first rehearsal with empty tool caches (the LocalStack virtualenv is built, PostgreSQL's binaries
copied, bytecode compiled); package downloads still come from uv's and pip's own caches when they have them.
Warm = the same caches reused.
Prints tables; asserts nothing (performance is reported, not tested).

    python -m tests.benchmarks.rehearsal [--warm-runs 3] [--skip-cold] [--skip-stack] [--skip-compose]

The rehearsal's breakdown: stack up, each deployment step, pytest (the checks, on 2 workers), the fault phase
(the sum over its stages of the slowest signal, beside the other checks and alone), the drills (their checks'
share), and what lies outside pytest (interpreter start, imports, teardown); with the CPU seconds (user + sys) of
everything it ran, since the wall time depends on what else the machine is doing.

Compose: "images" is `python -m tests.images.build` (a no-op when the stand-ins are current), "first up" the
first `up --wait` after it, "warm up" the median of the next ones (fresh containers and volumes each time: the
harness never reuses a stack).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import copier

from harness import stack
from harness.project import Project
from harness.signals.phase import STAGES

REPO = Path(__file__).resolve().parents[2]


def render(dest: Path) -> Project:
    copier.run_copy(
        str(REPO), dest, data={"project_name": "Bench Auth"}, defaults=True, unsafe=True, quiet=True, vcs_ref="HEAD"
    )
    return Project.load(dest)


def timed_up_down(
    project: Project, options: dict[str, str], provider: str = "native"
) -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    running = stack.up(project, provider, options)
    total = time.perf_counter() - started
    try:
        return total, dict(running.handle.state.get("start_seconds", {}))
    finally:
        stack.down(project)


def table(title: str, rows: list[tuple[str, ...]], header: tuple[str, ...]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-runs", type=int, default=3)
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--skip-stack", action="store_true", help="only the rehearsal (and compose)")
    parser.add_argument("--skip-compose", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        workdir.chmod(0o755)  # the shared cache below must be reachable by the postgres user
        project = render(workdir / "bench-auth")
        if not args.skip_cold:
            os.environ["KERNIA_HARNESS_CACHE"] = str(workdir / "cache")
            os.environ["KERNIA_HARNESS_SHARED_CACHE"] = str(workdir / "shared-cache")
            rehearsal_figures(project, workdir / "cold.json", "cold: empty tool caches")
        if not args.skip_stack:
            stack_figures(project, workdir, args)
        rehearsal_figures(project, workdir / "report.json", "warm")
        if not args.skip_compose:
            compose_figures(project, args.warm_runs)


def stack_figures(project: Project, workdir: Path, args: argparse.Namespace) -> None:
    """The native stack's warm starts, by service."""
    for label, options in (("LocalStack", {}), ("moto", {"aws": "moto"})):
        runs = [timed_up_down(project, options) for _ in range(args.warm_runs)]
        services = sorted(runs[0][1])
        rows = [(s, f"{statistics.median(r[1][s] for r in runs):.2f}") for s in services]
        rows.append(("whole stack", f"{statistics.median(r[0] for r in runs):.2f}"))
        table(f"Warm native stack with {label} (median of {args.warm_runs})", rows, ("service", "seconds"))


def rehearsal_figures(project: Project, report_path: Path, caches: str) -> None:
    """One `harness rehearse --provider native -n 2`: wall and CPU time, and where the time went (a cold stack
    start builds the LocalStack virtualenv and copies PostgreSQL's binaries)."""
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = ["rehearse", "--provider", "native", "-n", "2", "--report", str(report_path)]
    subprocess.run([sys.executable, "-m", "harness", "--project", str(project.root), *command], capture_output=True)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    report = json.loads(report_path.read_text())
    steps = sum(step["seconds"] for step in report["steps"])
    rows = [("stack up", f"{report['stack_seconds']:.2f}")]
    rows += [(f"step {step['name']}", f"{step['seconds']:.2f}") for step in report["steps"]]
    rows.append(("pytest (the checks, 2 workers)", f"{report['seconds'] - report['stack_seconds'] - steps:.2f}"))
    rows.append(("  the fault phase, beside the other checks", f"{phase_seconds(report['signals']):.2f}"))
    drills = [check for check in report["checks"] if check["name"].startswith(("test_recovery", "test_rotation"))]
    rows.append(("  the drills (their checks' sum)", f"{sum(check['seconds'] for check in drills):.2f}"))
    rows.append((f"  {len(report['checks'])} checks (sum)", f"{sum(c['seconds'] for c in report['checks']):.2f}"))
    rows.append(("outside pytest (start, imports, teardown)", f"{wall - report['seconds']:.2f}"))
    rows.append(("wall time, command start to exit", f"{wall:.2f}"))
    rows.append(("CPU time, user + sys", f"{cpu:.2f}"))
    title = f"Full rehearsal (native, LocalStack, {caches}, {os.cpu_count()} cores): {report['status']}"
    table(title, rows, ("phase", "seconds"))


def phase_seconds(signals: list[dict[str, Any]]) -> float:
    """The fault phase's faults (its canary's start aside): its stages run one after the other, each as long as its
    slowest signal."""
    seconds = {row["signal"]: row["seconds"] for row in signals}
    return sum(max(seconds.get(name, 0.0) for name in stage) for stage in STAGES)


def compose_figures(project: Project, warm_runs: int) -> None:
    """Stand-in image build (cached) and the compose stack's `up --wait`, first and warm."""
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        print("\nCompose: no Docker engine answers `docker info`; skipped")
        return
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tests.images.build"], check=True, capture_output=True, cwd=REPO)
    rows = [("images (stand-ins, cached)", f"{time.perf_counter() - started:.2f}")]
    rows.append(("first up --wait", f"{timed_up_down(project, {}, 'compose')[0]:.2f}"))
    warm = [timed_up_down(project, {}, "compose")[0] for _ in range(warm_runs)]
    rows.append((f"warm up --wait (median of {warm_runs})", f"{statistics.median(warm):.2f}"))
    table(f"Compose stack on {os.cpu_count()} cores, stand-in images", rows, ("phase", "seconds"))


if __name__ == "__main__":
    main()
