"""Engine fixtures for the stand-in image tests: skip without an engine (fail with HARNESS_REQUIRE_DOCKER=1),
build the stand-ins once per session (a no-op when their input hashes are current), and remove every
container, volume, network and tag a test creates."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.images import build

LABEL = "org.kernia-harness.test=images"


def docker(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


def engine_answers() -> bool:
    return bool(shutil.which("docker")) and docker("info", check=False, timeout=30).returncode == 0


@pytest.fixture(scope="session")
def engine() -> None:
    if not engine_answers():
        if os.environ.get("HARNESS_REQUIRE_DOCKER") == "1":
            pytest.fail("HARNESS_REQUIRE_DOCKER=1 but no Docker engine answers `docker info`")
        pytest.skip("no Docker engine answers `docker info` (set HARNESS_REQUIRE_DOCKER=1 to make this fail)")


@pytest.fixture(scope="session")
def stand_ins(engine: None) -> None:
    """Every stand-in image, built (or found current) by the same code as `nox -s images`."""
    assert build.main([]) == 0


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
        docker("run", "-d", "--name", name, "--label", LABEL, *flags, *options, image, *args)
        return name

    def oneshot(self, image: str, *args: str, options: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        return docker("run", "--rm", "--label", LABEL, *options, image, *args, check=False, timeout=300)

    def volume(self) -> str:
        name = self.name("v")
        self.volumes.append(name)
        docker("volume", "create", "--label", LABEL, name)
        return name

    def network(self) -> str:
        name = self.name("n")
        self.networks.append(name)
        docker("network", "create", "--label", LABEL, name)
        return name

    def port(self, container: str, port: int) -> int:
        return int(docker("port", container, str(port)).stdout.splitlines()[0].rsplit(":", 1)[1])

    def cleanup(self) -> None:
        if self.containers:
            docker("rm", "-f", "-v", *self.containers, check=False)
        if self.volumes:
            docker("volume", "rm", "-f", *self.volumes, check=False)
        if self.networks:
            docker("network", "rm", *self.networks, check=False)
        if self.tags:
            docker("image", "rm", "-f", *self.tags, check=False)


@pytest.fixture
def eng(engine: None) -> Iterator[Engine]:
    made = Engine()
    try:
        yield made
    finally:
        made.cleanup()


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)
