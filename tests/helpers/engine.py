"""A Docker engine for the container tests: skipped without one, except where HARNESS_REQUIRE_DOCKER=1 (CI) makes
a missing engine a failure; and what a compose project left behind, read from the engine by its labels."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

REQUIRE = os.environ.get("HARNESS_REQUIRE_DOCKER") == "1"


def engine_answers() -> bool:
    docker = shutil.which("docker")
    return bool(docker) and subprocess.run([docker, "info"], capture_output=True).returncode == 0


def require_engine() -> None:
    """Skip the calling test without an engine; in CI (HARNESS_REQUIRE_DOCKER=1) fail instead."""
    if engine_answers():
        return
    if REQUIRE:
        pytest.fail("HARNESS_REQUIRE_DOCKER=1 but no Docker engine answers `docker info`", pytrace=False)
    pytest.skip("no Docker engine answers `docker info` (set HARNESS_REQUIRE_DOCKER=1 to make this a failure)")


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
