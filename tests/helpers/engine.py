"""The Docker engine for tests that need one: skipped with the reason where none answers, failed under CI; and what
a run left behind on it, read by label.

CI sets HARNESS_REQUIRE_DOCKER=1 after starting its engine, so a broken engine there fails the run instead of
skipping every container test quietly.
"""

from __future__ import annotations

import os
import subprocess

import docker
import pytest

from harness.images import choose, image_labels

REQUIRE = "HARNESS_REQUIRE_DOCKER"


def engine_problem() -> str:
    """Why no engine answers through the Docker SDK (the way testcontainers asks), or "" when one does."""
    try:
        docker.from_env().ping()
    except docker.errors.DockerException as exc:
        return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return ""


def _missing(message: str) -> None:
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{message}, and {REQUIRE}=1 says the engine and its images must be here")
    pytest.skip(message)


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
