"""The Docker engine for tests that need one: skipped with the reason where none answers, failed under CI; and what
a run left behind on it, read by label.

CI sets HARNESS_REQUIRE_DOCKER=1 after starting its engine, so a broken engine there fails the run instead of
skipping every container test quietly.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import docker
from filelock import FileLock

from harness.images import choose, image_labels
from tests.helpers import needs
from tests.images import build

REQUIRE = "HARNESS_REQUIRE_DOCKER"
TEST_LABEL = "org.kernia-harness.test=images"


def engine_problem() -> str:
    """Why no engine answers through the Docker SDK (the way testcontainers asks), or "" when one does."""
    try:
        docker.from_env().ping()
    except docker.errors.DockerException as exc:
        return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return ""


def _missing(message: str) -> None:
    needs.missing(message, REQUIRE)


def require_engine() -> docker.DockerClient:
    """A client to the engine; skips (or fails when HARNESS_REQUIRE_DOCKER=1) when none answers."""
    problem = engine_problem()
    if problem:
        _missing(f"no Docker engine answers ({problem})")
    return docker.from_env()


def require_images(*pinned: str) -> None:
    """Each pinned image or its stand-in on the engine; skips (fails under HARNESS_REQUIRE_DOCKER=1) otherwise."""
    missing = [ref for ref in pinned if image_labels(choose(ref).ref) is None]
    if missing:
        _missing(f"images not on this engine: {', '.join(missing)} (build the stand-ins with `nox -s images`)")


def leftovers(label: str) -> dict[str, list[str]]:
    """Containers, volumes and networks carrying ``label`` (e.g. ``com.docker.compose.project=kh-x``)."""
    found = {}
    for kind, command in (
        ("containers", ["docker", "ps", "--all", "--quiet", "--filter", f"label={label}"]),
        ("volumes", ["docker", "volume", "ls", "--quiet", "--filter", f"label={label}"]),
        ("networks", ["docker", "network", "ls", "--quiet", "--filter", f"label={label}"]),
    ):
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        found[kind] = result.stdout.split()
    return {kind: ids for kind, ids in found.items() if ids}


def docker_cli(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


class Engine:
    """Starts containers, volumes and networks named images-test-*; ``cleanup`` removes them all."""

    def __init__(self) -> None:
        self.containers: list[str] = []
        self.volumes: list[str] = []
        self.networks: list[str] = []
        self.tags: list[str] = []

    def name(self, kind: str) -> str:
        return f"images-test-{kind}-{uuid.uuid4().hex[:8]}"

    def run(self, image: str, *args: str, env: dict[str, str] | None = None, options: tuple[str, ...] = ()) -> str:
        """Start ``image`` detached; returns the container's name."""
        name = self.name("c")
        self.containers.append(name)
        flags = [arg for key, value in (env or {}).items() for arg in ("-e", f"{key}={value}")]
        docker_cli("run", "-d", "--name", name, "--label", TEST_LABEL, *flags, *options, image, *args)
        return name

    def oneshot(self, image: str, *args: str, options: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        return docker_cli("run", "--rm", "--label", TEST_LABEL, *options, image, *args, check=False, timeout=300)

    def volume(self) -> str:
        name = self.name("v")
        self.volumes.append(name)
        docker_cli("volume", "create", "--label", TEST_LABEL, name)
        return name

    def network(self) -> str:
        name = self.name("n")
        self.networks.append(name)
        docker_cli("network", "create", "--label", TEST_LABEL, name)
        return name

    def port(self, container: str, port: int) -> int:
        return int(docker_cli("port", container, str(port)).stdout.splitlines()[0].rsplit(":", 1)[1])

    def cleanup(self) -> None:
        if self.containers:
            docker_cli("rm", "-f", "-v", *self.containers, check=False)
        if self.volumes:
            docker_cli("volume", "rm", "-f", *self.volumes, check=False)
        if self.networks:
            docker_cli("network", "rm", *self.networks, check=False)
        if self.tags:
            docker_cli("image", "rm", "-f", *self.tags, check=False)


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


def require_stand_ins() -> None:
    """The engine, and a stand-in for every pinned image it lacks (built by `nox -s images`'s code; a no-op in
    seconds when their inputs are unchanged)."""
    require_engine()
    # xdist workers may both get here first: one builds, the other then finds every image current.
    with FileLock(Path(tempfile.gettempdir()) / "kernia-harness-stand-ins.lock"):
        assert build.main([]) == 0, "building the stand-in images failed (see the output above)"
