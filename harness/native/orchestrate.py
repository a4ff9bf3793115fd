"""Start every native service in parallel, each with readiness and port-race retries; on any failure or
Ctrl-C stop whatever already started. Stop them again from records (possibly in another process).

``NativeGroup`` is that process group as a whole, written once: the native provider runs the whole catalog as one,
and the sidecars beside a container stack are another."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.console import Progress, silent
from harness.endpoints import ServiceInfo
from harness.process import ManagedProcess, ProcessRecord, ServiceStartError, stop_record
from harness.services import Service
from harness.services.catalog import SERVICES
from harness.services.launch import Launch, RunContext

PORT_RACE_ATTEMPTS = 3


@dataclass
class Started:
    launch: Launch
    record: ProcessRecord
    seconds: float

    def describe(self) -> str:
        info = self.launch.info
        stand_in = ", stand-in" if info.stand_in else ""
        what = f"{info.implementation} {info.version}, {info.mode}{stand_in}"
        return f"{self.launch.name}: ready in {self.seconds:.1f} s ({what})"


@dataclass
class Registry:
    """Everything a run has created so far (thread-safe), so a failure can undo exactly that."""

    records: list[ProcessRecord] = field(default_factory=list)
    cleanup: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_record(self, record: ProcessRecord) -> None:
        with self._lock:
            self.records.append(record)

    def add_cleanup(self, paths: Sequence[str]) -> None:
        with self._lock:
            self.cleanup.extend(p for p in paths if p not in self.cleanup)


def start_service(service: Service, ctx: RunContext, registry: Registry, progress: Progress = silent) -> Started:
    """Plan and start one service; re-plan on fresh ports if it lost a bind race (and say so)."""
    began = time.monotonic()
    for attempt in range(1, PORT_RACE_ATTEMPTS + 1):
        launch: Launch = service.plan(ctx)
        registry.add_cleanup(launch.cleanup)
        process = ManagedProcess(
            launch.name,
            launch.argv,
            log_path=ctx.log_path(launch.name),
            env=launch.env,
            cwd=launch.cwd,
            user=launch.user,
            probes=launch.probes,
            secrets=launch.secrets,
            stop_grace=launch.stop_grace,
            owns_ports=True,
        )
        try:
            record = process.start(launch.timeout, on_spawn=registry.add_record, cancel=ctx.cancel)
            if launch.on_ready is not None:
                launch.on_ready(launch)
        except ServiceStartError as exc:
            if exc.port_conflict and attempt < PORT_RACE_ATTEMPTS and not ctx.cancel.is_set():
                progress(f"{launch.name}: {exc.reason}; starting it again on fresh ports")
                continue
            raise
        return Started(launch, record, time.monotonic() - began)
    raise AssertionError("unreachable")  # the last attempt returns or raises


def start_all(
    ctx: RunContext, registry: Registry, progress: Progress, services: Sequence[Service] = SERVICES
) -> list[Started]:
    """Start ``services`` concurrently; the first failure cancels the others and stops all that started."""
    started: list[Started] = []
    with ThreadPoolExecutor(max_workers=len(services), thread_name_prefix="native-start") as pool:
        futures = [pool.submit(start_service, service, ctx, registry, progress) for service in services]
        try:
            for future in as_completed(futures):
                done = future.result()
                if reason := done.launch.state.get("fallback_reason"):  # said at `up`, not only in the report
                    progress(f"{done.launch.name}: falling back to {done.launch.info.implementation} ({reason})")
                progress(done.describe())
                started.append(done)
        except BaseException:
            ctx.cancel.set()
            wait(futures)
            stop_all(registry.records)
            raise
    order = [service.name for service in services]
    return sorted(started, key=lambda s: order.index(s.launch.name))


def stop_all(records: Sequence[ProcessRecord]) -> None:
    """Stop every record's process group, in parallel (each may take a moment to shut down cleanly)."""
    if not records:
        return
    with ThreadPoolExecutor(max_workers=len(records), thread_name_prefix="native-stop") as pool:
        list(pool.map(stop_record, records))


def remove_paths(paths: Sequence[str | Path]) -> None:
    """Delete files and directories a run created; missing ones are ignored."""
    for path in paths:
        p = Path(path)
        if p.is_symlink() or p.is_file():
            p.unlink(missing_ok=True)
        else:
            shutil.rmtree(p, ignore_errors=True)


@dataclass
class NativeGroup:
    """Native services started together, their Endpoints fields, and the record that stops them later."""

    registry: Registry = field(default_factory=Registry)
    started: list[Started] = field(default_factory=list)

    def start(self, ctx: RunContext, progress: Progress, services: Sequence[Service] = SERVICES) -> NativeGroup:
        """Start ``services``; on failure their processes are stopped and ``registry.cleanup`` says what to remove."""
        self.started = start_all(ctx, self.registry, progress, services)
        return self

    def endpoint_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for service in self.started:
            fields.update(service.launch.endpoints)
        return fields

    def infos(self) -> tuple[ServiceInfo, ...]:
        return tuple(service.launch.info for service in self.started)

    def record(self) -> dict[str, Any]:
        """What ``stop`` needs, as JSON: process records (pid + create time) and paths to remove.

        ``processes`` are the running services (what the service watch follows); ``retired`` the attempts a
        lost bind race replaced, already stopped and kept only so that ``stop`` makes sure of them."""
        running = [s.record for s in self.started]
        return {
            "processes": [r.to_dict() for r in running],
            "retired": [r.to_dict() for r in self.registry.records if r not in running],
            "cleanup": self.registry.cleanup,
        }

    @staticmethod
    def stop(record: dict[str, Any], *, remove: bool = True, extra_paths: Sequence[str | Path] = ()) -> None:
        """Stop the recorded processes; unless ``remove`` is False, delete their paths and ``extra_paths`` too."""
        stop_all([ProcessRecord.from_dict(r) for r in [*record.get("processes", []), *record.get("retired", [])]])
        if remove:
            remove_paths([*record.get("cleanup", []), *extra_paths])
