"""The Docker engine for tests that need one: skipped with the reason where none answers, failed under CI.

CI sets HARNESS_REQUIRE_DOCKER=1 after starting its engine, so a broken engine there fails the run instead of
skipping every container test quietly.
"""

from __future__ import annotations

import os

import docker
import pytest

REQUIRE = "HARNESS_REQUIRE_DOCKER"


def engine_problem() -> str:
    """Why no engine answers through the Docker SDK (the way testcontainers asks), or "" when one does."""
    try:
        docker.from_env().ping()
    except docker.errors.DockerException as exc:
        return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return ""


def require_engine() -> docker.DockerClient:
    """A client to the engine; skips (or fails when HARNESS_REQUIRE_DOCKER=1) when none answers."""
    problem = engine_problem()
    if problem:
        message = f"no Docker engine answers ({problem})"
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{message}, and {REQUIRE}=1 says one must")
        pytest.skip(message)
    return docker.from_env()
