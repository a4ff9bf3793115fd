"""Benchmark the recovery drills on a native stack: backup, upload, plain pg_restore, restore + verify.

For each size N it starts a native stack (moto for S3), seeds N users each with a session and an API key
(bulk SQL), and prints seconds and sizes, verification's overhead over a plain pg_restore of the same dump
(target: under 30 %), and the harness process's peak RSS while verifying (it should stay flat as N grows:
checksums stream). Everything it starts is stopped before it exits.

    python -m tests.benchmarks.recovery                  # N = 10,000 and 100,000
    python -m tests.benchmarks.recovery --sizes 100000
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import psutil

from harness.backup import create_backup, restore_backup, upload, verify_database
from harness.backup.database import admin_connection, create_database
from harness.project import app_role
from harness.stack import Running
from tests.helpers.drill_stack import drill_stack

T = TypeVar("T")
MIB = 1024 * 1024


@dataclass
class Figures:
    users: int
    seed_s: float
    backup_s: float
    dump_mib: float
    upload_s: float
    verified_by: str
    pg_restore_s: float
    restore_s: float
    verify_s: float
    portable_verify_s: float
    rows: int
    rss_before_mib: float
    rss_peak_mib: float
    portable_rss_peak_mib: float

    @property
    def overhead(self) -> float:
        return 100 * self.verify_s / self.pg_restore_s


@contextmanager
def peak_rss() -> Iterator[list[float]]:
    """Sample this process's RSS every 5 ms; yields [before, peak] in MiB, filled in on exit."""
    proc = psutil.Process()
    result = [proc.memory_info().rss / MIB, 0.0]
    stop = threading.Event()
    peak = [result[0]]

    def sample() -> None:
        while not stop.wait(0.005):
            peak[0] = max(peak[0], proc.memory_info().rss / MIB)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        result[1] = max(peak[0], proc.memory_info().rss / MIB)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def plain_pg_restore(running: Running, dump: Path, database: str) -> float:
    """The baseline: the same pg_restore into a new database, with no checks before or after."""
    role = app_role(running.project.slug)
    with admin_connection(running.handle.endpoints.database_url) as admin:
        create_database(admin, database, role)
        major = admin.info.server_version // 10000
    client = running.database().client(major)
    argv = client.restore_argv(database, role=role)
    with dump.open("rb") as stream:
        _, seconds = timed(lambda: client.run(argv, stdin=stream))
    return seconds


def measure(users: int, workdir: Path) -> Figures:
    started = time.perf_counter()
    with drill_stack(workdir / f"project-{users}", users) as running:
        seed_s = time.perf_counter() - started
        backup = create_backup(running.database(), running.project.slug, workdir / f"backups-{users}")
        uploaded = upload(backup, running.handle.endpoints)
        pg_restore_s = plain_pg_restore(running, backup.dump_path, "plain_restore")
        restored = restore_backup(
            running.database(), backup.dump_path, "drill_restored", owner=app_role(running.project.slug)
        )
        with peak_rss() as rss:
            verification = verify_database(running.handle.endpoints.database_url, backup.manifest, "drill_restored")
        # As on a server whose hash functions differ: every table by its streamed, ordered SHA-256.
        foreign = replace(backup.manifest, digest=replace(backup.manifest.digest, hash_probe="elsewhere"))
        with peak_rss() as portable_rss:
            portable = verify_database(running.handle.endpoints.database_url, foreign, "drill_restored")
        for result in (verification, portable):
            if not result.ok:
                raise SystemExit(f"verification failed: {result.message}")
        return Figures(
            users=users,
            seed_s=seed_s,
            backup_s=backup.seconds,
            dump_mib=backup.size / MIB,
            upload_s=uploaded.seconds,
            verified_by=uploaded.verified_by,
            pg_restore_s=pg_restore_s,
            restore_s=restored.seconds,
            verify_s=verification.seconds,
            portable_verify_s=portable.seconds,
            rows=verification.rows,
            rss_before_mib=rss[0],
            rss_peak_mib=rss[1],
            portable_rss_peak_mib=portable_rss[1],
        )


COLUMNS = (
    ("users", lambda f: f"{f.users:,}"),
    ("rows", lambda f: f"{f.rows:,}"),
    ("stack+seed s", lambda f: f"{f.seed_s:.1f}"),
    ("backup s", lambda f: f"{f.backup_s:.2f}"),
    ("dump MiB", lambda f: f"{f.dump_mib:.1f}"),
    ("upload s (verified by)", lambda f: f"{f.upload_s:.2f} ({f.verified_by})"),
    ("plain pg_restore s", lambda f: f"{f.pg_restore_s:.2f}"),
    ("restore s", lambda f: f"{f.restore_s:.2f}"),
    ("verify s", lambda f: f"{f.verify_s:.2f}"),
    ("restore+verify s", lambda f: f"{f.restore_s + f.verify_s:.2f}"),
    ("verify overhead", lambda f: f"{f.overhead:.0f} %"),
    ("portable verify s", lambda f: f"{f.portable_verify_s:.2f}"),
    (
        "RSS MiB: before → peak (portable)",
        lambda f: f"{f.rss_before_mib:.0f} → {f.rss_peak_mib:.0f} ({f.portable_rss_peak_mib:.0f})",
    ),
)


def report(rows: list[Figures]) -> str:
    """A Markdown table for the README."""
    lines = ["| " + " | ".join(name for name, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(f) for _, cell in COLUMNS) + " |" for f in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated user counts")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="recovery-bench-") as tmp:
        figures = []
        for users in sizes:
            print(f"N={users:,}: seeding and measuring ...", flush=True)
            figures.append(measure(users, Path(tmp)))
    print(report(figures))


if __name__ == "__main__":
    main()
