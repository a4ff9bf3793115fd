"""Engine fixtures for the stand-in image tests: skip without an engine (fail with HARNESS_REQUIRE_DOCKER=1),
build the stand-ins once per session (a no-op when their input hashes are current), and remove every
container, volume, network and tag a test creates."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.engine import Engine, require_engine, require_stand_ins


@pytest.fixture(scope="session")
def engine() -> None:
    require_engine()


@pytest.fixture(scope="session")
def stand_ins(engine: None) -> None:
    """Every stand-in image, built (or found current) by the same code as `nox -s images`."""
    require_stand_ins()


@pytest.fixture
def eng(engine: None) -> Iterator[Engine]:
    made = Engine()
    try:
        yield made
    finally:
        made.cleanup()
