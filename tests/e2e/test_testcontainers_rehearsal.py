"""End to end on the Docker engine with the testcontainers provider: the same rehearsal as native, and nothing left.

The images are the ones the rendered compose.yaml pins, or their local stand-ins (`nox -s images`) where the pins
are not on this machine. Every test checks, by the run's labels, that no container of the project remains.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest
import yaml

from harness.images import choose
from harness.providers.testcontainers import LABEL_STACK, remove_labelled
from harness.services.catalog import CONTAINER_NAMES as SERVICES
from harness.state import StackState
from tests.helpers.cli import describe, harness, harness_argv
from tests.helpers.engine import require_engine, require_images
from tests.helpers.optional import REDIS_SIGNAL
from tests.helpers.render import render_project

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("testcontainers-stack")]
SLOW = 1800  # seconds for a whole rehearsal or smoke run: containers and checks share two cores with other work
UNHEALTHY_REDIS = "redis:7.4.11-alpine-unhealthy"  # its stand-in's redis-cli always fails: a negative control


def _require_images(project: Path, *extra: str) -> None:
    compose = yaml.safe_load((project / "compose.yaml").read_text())["services"]
    require_images(*(compose[service]["image"] for service in SERVICES), *extra)


def _stack_label(project: Path) -> str:
    return f"{LABEL_STACK}={StackState(project).run_dir.name}"


def _stack_containers(client: docker.DockerClient, project: Path) -> list[str]:
    label = _stack_label(project)
    # sparse: a container removed while listing (the run's own clean-up, Ryuk) must not fail the listing
    return [
        c.attrs["Names"][0].lstrip("/") for c in client.containers.list(all=True, sparse=True, filters={"label": label})
    ]


@pytest.fixture
def engine() -> docker.DockerClient:
    return require_engine()


@pytest.fixture
def project(tmp_path_factory: pytest.TempPathFactory, engine: docker.DockerClient) -> Iterator[Path]:
    """A rendered project whose containers are all gone afterwards (removed here too, so a failure leaves none).
    Where a test left its stack recorded, ``harness down`` runs as a user would, and must leave nothing."""
    root = render_project(tmp_path_factory.mktemp("tc") / "demo-auth")
    _require_images(root)
    yield root
    down = StackState(root).exists()
    if down:
        harness(root, "down")
    left = _stack_containers(engine, root)
    remove_labelled(engine, _stack_label(root))  # one Ryuk reaps meanwhile is fine
    assert not (down and left), f"containers left behind after harness down: {left}"


@pytest.fixture
def start(project: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Starts a harness command in the project, in its own session; one still running when the test ends (it
    failed half-way) is killed with its group before the project's clean-up, so nothing keeps making containers."""
    started: list[subprocess.Popen[str]] = []

    def run(*args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            harness_argv(project, *args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate(timeout=60)


def test_rehearse(project: Path, engine: docker.DockerClient, tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    run = harness(
        project, "rehearse", "--provider", "testcontainers", "-n", "2", "--report", str(report_path), timeout=SLOW
    )
    assert run.returncode == 0, describe(run)
    report = json.loads(report_path.read_text())
    assert report["status"] == "passed", [c for c in report["checks"] if c["status"] != "passed"]
    assert report["provider"] == "testcontainers"
    assert {c["name"]: c["status"] for c in report["checks"]}[REDIS_SIGNAL] == "passed"
    containers = [s for s in report["services"] if s["mode"] == "testcontainers"]
    # stripe-mock runs, but the report's "stripe" is the stateful stand-in the harness runs beside it.
    assert {s["name"] for s in containers} == {"postgres", "redis", "mail", "aws", "vault"}
    for service in containers:
        pinned = f"{service['implementation'].removesuffix(' (stand-in image)')}:{service['version']}"
        assert service["stand_in"] == choose(pinned).stand_in, service
        assert service["implementation"].endswith(" (stand-in image)") == service["stand_in"], service
    assert not _stack_containers(engine, project), "rehearse left containers behind"


def test_up_outlives_the_command_then_deploy_smoke_down(
    project: Path, engine: docker.DockerClient, tmp_path: Path
) -> None:
    up = harness(project, "up", "--provider", "testcontainers", "--json")
    assert up.returncode == 0, describe(up)
    running = _stack_containers(engine, project)
    assert len(running) == len(SERVICES), running
    volumes = [
        m["Name"] for name in running for m in engine.containers.get(name).attrs["Mounts"] if m["Type"] == "volume"
    ]
    assert volumes, "the images declare data volumes (postgres, redis): none seen"
    time.sleep(12)  # Ryuk's reconnection timeout is 10 s: a reaped stack would be gone by now
    states = {c.name: c.status for c in engine.containers.list(all=True) if c.name in running}
    assert states == dict.fromkeys(running, "running"), states
    deploy = harness(project, "deploy")
    assert deploy.returncode == 0, describe(deploy)
    report_path = tmp_path / "smoke.json"
    smoke = harness(project, "smoke", "-n", "2", "--report", str(report_path), timeout=SLOW)
    assert smoke.returncode == 0, describe(smoke)
    assert json.loads(report_path.read_text())["status"] == "passed"
    down = harness(project, "down")
    assert down.returncode == 0, describe(down)
    assert not _stack_containers(engine, project)
    left = {v.name for v in engine.volumes.list()} & set(volumes)
    assert not left, f"volumes left behind: {left}"


def test_a_service_that_never_turns_healthy_is_named_and_everything_is_removed(
    project: Path, engine: docker.DockerClient
) -> None:
    _require_images(project, UNHEALTHY_REDIS)
    compose_file = project / "compose.yaml"
    compose_file.write_text(compose_file.read_text().replace("image: redis:7.4.11-alpine", f"image: {UNHEALTHY_REDIS}"))
    up = harness(project, "up", "--provider", "testcontainers", "--option", "wait_timeout=120")
    assert up.returncode != 0, describe(up)
    assert "testcontainers: redis (kernia-stand-in/redis:7.4.11-alpine-unhealthy, stand-in image)" in up.stderr
    retries = yaml.safe_load(compose_file.read_text())["services"]["redis"]["healthcheck"]["retries"]
    assert f"is unhealthy ({retries} failed checks in a row)" in up.stderr, describe(up)  # compose's own budget
    assert "healthcheck: redis-cli -h 127.0.0.1 ping | grep -q PONG" in up.stderr
    assert "redis-cli: stand-in negative control" in up.stderr  # what the failing check printed
    assert "command: " in up.stderr and "log lines:" in up.stderr
    assert not _stack_containers(engine, project), "a failed up left containers behind"
    assert not StackState(project).exists()


def _interrupt_when(process: subprocess.Popen[str], ready: object, what: str, timeout: float = 600) -> str:
    """Send Ctrl-C (SIGINT to the process group, as a terminal does) once ``ready()`` is true; the output."""
    deadline = time.monotonic() + timeout
    while not ready():  # type: ignore[operator]
        assert process.poll() is None, f"finished before {what}: {process.communicate()}"
        assert time.monotonic() < deadline, f"never reached {what}"
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=300)
    return out + err


def test_ctrl_c_during_up_leaves_nothing(
    project: Path, engine: docker.DockerClient, start: Callable[..., subprocess.Popen[str]]
) -> None:
    process = start("up", "--provider", "testcontainers")
    output = _interrupt_when(process, lambda: len(_stack_containers(engine, project)) >= 2, "the second container")
    assert process.returncode != 0 and "harness: interrupted" in output, output
    assert not _stack_containers(engine, project), output
    assert not StackState(project).exists()


def test_ctrl_c_during_the_checks_leaves_nothing(
    project: Path, engine: docker.DockerClient, start: Callable[..., subprocess.Popen[str]]
) -> None:
    state = StackState(project)

    def checks_started() -> bool:
        try:
            return len(state.load()[1].get("steps") or []) == 5  # deployed: the checks run next
        except (OSError, ValueError):
            return False

    process = start("rehearse", "--provider", "testcontainers", "-n", "2")
    output = _interrupt_when(process, checks_started, "the checks")
    assert process.returncode != 0 and "rehearsal interrupted" in output, output
    assert not _stack_containers(engine, project), output
    assert not state.exists(), output


def test_a_killed_rehearsal_is_reaped_by_ryuk(
    project: Path, engine: docker.DockerClient, start: Callable[..., subprocess.Popen[str]]
) -> None:
    """`rehearse` keeps Ryuk on: when the run is killed outright (no clean-up code runs), Ryuk removes its containers
    once its reconnection timeout (10 s) has passed."""
    _require_images(project, "testcontainers/ryuk:0.8.1")
    process = start("rehearse", "--provider", "testcontainers")
    deadline = time.monotonic() + 300
    while len(_stack_containers(engine, project)) < 2:
        assert process.poll() is None, f"finished before the second container: {process.communicate()}"
        assert time.monotonic() < deadline, "never reached the second container"
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    out, err = process.communicate(timeout=60)
    assert "testcontainers: reaper " in out + err, out + err  # Ryuk ran (not the "not available" fallback)
    deadline = time.monotonic() + 60
    while _stack_containers(engine, project) and time.monotonic() < deadline:
        time.sleep(1)
    assert not _stack_containers(engine, project), "Ryuk did not remove the killed run's containers"
    StackState(project).remove()  # the run directory the killed process left (no container in it)
