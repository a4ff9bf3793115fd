"""Provider pausers (the signals phase's Redis fault): a native process really stops and continues, a container
main process too (sent by the engine), compose signals the service by its compose name, and the resume runs whatever
the block did."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

from harness.endpoints import Endpoints, ServiceInfo
from harness.errors import ProviderError
from harness.native.provider import NativeProvider
from harness.process import ManagedProcess
from harness.providers.base import StackHandle
from harness.providers.compose import ComposeProvider
from harness.providers.external import ExternalProvider
from harness.providers.pause import commands_paused
from harness.providers.testcontainers import TestcontainersProvider
from harness.readiness import Custom
from tests.helpers.engine import require_engine, require_images

BASE_IMAGE = "kernia-stand-in/base:bookworm"  # built by tests.images.build, the root of every stand-in


def handle(provider: str, state: dict[str, object], services: tuple[str, ...] = ()) -> StackHandle:
    addresses = ("postgresql://u:p@127.0.0.1:1/postgres", "redis://127.0.0.1:2", "127.0.0.1", 3, *[""] * 6)
    infos = tuple(ServiceInfo(name, name, "1", provider) for name in services)
    endpoints = Endpoints(provider, *addresses, services=infos)  # type: ignore[arg-type]
    return StackHandle(provider=provider, endpoints=endpoints, run_dir=Path("/nonexistent"), state=state)


def stopped(process: psutil.Process, *, wait: float) -> bool:
    """Whether the process shows as stopped within ``wait`` s (a signal is delivered asynchronously)."""
    deadline = time.monotonic() + wait
    while process.status() != psutil.STATUS_STOPPED and time.monotonic() < deadline:
        time.sleep(0.05)
    return process.status() == psutil.STATUS_STOPPED


def test_native_redis_is_stopped_inside_the_block_and_continues_after(tmp_path: Path) -> None:
    log = tmp_path / "redis.log"
    argv = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(300)"]
    process = ManagedProcess("redis", argv, log_path=log, probes=[Custom("up", lambda: "up" in log.read_text())])
    record = process.start(timeout=10)
    try:
        pausers = NativeProvider.pausers(handle("native", {"processes": [record.to_dict()]}))
        assert set(pausers) == {"redis"}
        live = psutil.Process(record.pid)
        assert not stopped(live, wait=0.5)
        with pausers["redis"]():
            assert stopped(live, wait=5)
        assert not stopped(live, wait=0.5)
    finally:
        process.stop()


def test_resume_runs_when_the_block_fails_and_a_failing_command_is_named(tmp_path: Path) -> None:
    journal = tmp_path / "journal"
    with (
        pytest.raises(RuntimeError, match="the fault broke"),
        commands_paused(["sh", "-c", f"echo pause >> {journal}"], ["sh", "-c", f"echo resume >> {journal}"]),
    ):
        raise RuntimeError("the fault broke")
    assert journal.read_text().split() == ["pause", "resume"]
    refused = ["sh", "-c", "echo no such container >&2; exit 1"]
    with (
        pytest.raises(ProviderError, match="`sh -c 'echo no such container >&2; exit 1'` failed: no such container"),
        commands_paused(refused, ["true"]),
    ):
        pytest.fail("the block ran although the pause failed")


def test_compose_pauses_the_service_by_its_compose_name(tmp_path: Path) -> None:
    """The catalog's "mail" is compose's "mailpit"; the command carries the run's project, files and profiles."""
    journal, compose = tmp_path / "journal", tmp_path / "compose"
    compose.write_text(f'#!/bin/sh\necho "$KH_MARK $*" >> {journal}\n')
    compose.chmod(compose.stat().st_mode | stat.S_IEXEC)
    state = {"executable": [str(compose)], "project_name": "kh-p", "files": ["/p/compose.yaml"], "profiles": ["aws"]}
    pausers = ComposeProvider.pausers(handle("compose", {**state, "env": {"KH_MARK": "env"}}, ("redis", "mail")))
    assert set(pausers) == {"redis", "mail"}  # only what the run started: no aws, no vault
    prefix = "env -p kh-p -f /p/compose.yaml --profile aws kill --signal"
    with pausers["mail"]():
        assert journal.read_text().splitlines() == [f"{prefix} SIGSTOP mailpit"]
    assert journal.read_text().splitlines() == [f"{prefix} SIGSTOP mailpit", f"{prefix} SIGCONT mailpit"]


def test_external_services_are_not_paused() -> None:
    assert ExternalProvider.pausers(handle("external", {}, ("redis",))) == {}


@pytest.mark.slow
def test_a_testcontainers_container_is_stopped_inside_the_block() -> None:
    engine = require_engine()
    require_images(BASE_IMAGE)
    container = engine.containers.run(
        BASE_IMAGE, ["sleep", "300"], detach=True, name=f"containers-pause-{uuid.uuid4().hex[:8]}", network_mode="none"
    )
    try:
        pausers = TestcontainersProvider.pausers(handle("testcontainers", {"containers": {"mailpit": container.id}}))
        assert set(pausers) == {"mail"}

        argv = ["docker", "inspect", "-f", "{{.State.Pid}}", container.id]
        main = psutil.Process(int(subprocess.run(argv, capture_output=True, text=True, check=True).stdout))
        assert not stopped(main, wait=0.5)
        with pausers["mail"]():
            assert stopped(main, wait=5)
        assert not stopped(main, wait=0.5)
        container.reload()
        assert container.status == "running"  # the engine still counts it running: no health flip, no "paused"
    finally:
        container.remove(force=True)
