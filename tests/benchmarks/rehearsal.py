"""Native stack cold start, warm start and full rehearsal wall time, broken down by service and step; where a
Docker engine answers, the compose stack's `up --wait` with the stand-in images beside them.

Cold = empty tool caches (the LocalStack virtualenv is built, PostgreSQL's binaries copied, bytecode compiled);
package downloads still come from uv's and pip's own caches when they have them. Warm = the same caches reused.
Prints tables; asserts nothing (performance is reported, not tested).

    python -m tests.benchmarks.rehearsal [--warm-runs 3] [--skip-cold] [--skip-compose]

Compose: "images" is `python -m tests.images.build` (a no-op when the stand-ins are current), "first up" the
first `up --wait` after it, "warm up" the median of the next ones (fresh containers and volumes each time: the
harness never reuses a stack).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import copier

from harness import stack
from harness.project import Project

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
    parser.add_argument("--skip-compose", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        workdir.chmod(0o755)  # the shared cache below must be reachable by the postgres user
        project = render(workdir / "bench-auth")
        if not args.skip_cold:
            os.environ["KERNIA_HARNESS_CACHE"] = str(workdir / "cache")
            os.environ["KERNIA_HARNESS_SHARED_CACHE"] = str(workdir / "shared-cache")
            cold_total, cold = timed_up_down(project, {})
            table(f"Cold native stack: ready in {cold_total:.1f} s", sorted(cold.items()), ("service", "seconds"))
        for label, options in (("LocalStack", {}), ("moto", {"aws": "moto"})):
            runs = [timed_up_down(project, options) for _ in range(args.warm_runs)]
            services = sorted(runs[0][1])
            rows = [(s, f"{statistics.median(r[1][s] for r in runs):.2f}") for s in services]
            rows.append(("whole stack", f"{statistics.median(r[0] for r in runs):.2f}"))
            table(f"Warm native stack with {label} (median of {args.warm_runs})", rows, ("service", "seconds"))
        report_path = workdir / "report.json"
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "harness",
                "--project",
                str(project.root),
                "rehearse",
                "--provider",
                "native",
                "-n",
                "2",
                "--report",
                str(report_path),
            ],
            check=True,
            capture_output=True,
        )
        wall = time.perf_counter() - started
        report = json.loads(report_path.read_text())
        rows = [("stack up", f"{report['stack_seconds']:.2f}")]
        rows += [(f"step {s['name']}", f"{s['seconds']:.2f}") for s in report["steps"]]
        rows.append(
            (f"{len(report['checks'])} checks (sum, 2 workers)", f"{sum(c['seconds'] for c in report['checks']):.2f}")
        )
        rows.append(("wall time, command start to exit", f"{wall:.2f}"))
        table(f"Full rehearsal (native, LocalStack, warm): {report['status']}", rows, ("phase", "seconds"))
        if not args.skip_compose:
            compose_figures(project, args.warm_runs)


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
