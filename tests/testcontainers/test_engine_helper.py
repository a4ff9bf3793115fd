"""The container tests skip without an engine, but fail when CI says one must be there (HARNESS_REQUIRE_DOCKER=1)."""

from __future__ import annotations

import pytest

from tests.helpers.engine import REQUIRE, require_engine, require_images


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")


@pytest.mark.usefixtures("no_engine")
def test_without_an_engine_the_tests_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Docker engine answers"):
        require_engine()


@pytest.mark.usefixtures("no_engine")
def test_without_an_engine_ci_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception, match="HARNESS_REQUIRE_DOCKER says it must be here"):
        require_engine()


def test_a_missing_image_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE, "1")
    monkeypatch.setattr("tests.helpers.engine.image_labels", lambda ref: None)  # no image of that name here
    with pytest.raises(pytest.fail.Exception, match="images not on this engine: nothing:0"):
        require_images("nothing:0")
