"""promtool and prometheus for the signals tests: skipped without them, required with HARNESS_REQUIRE_PROMETHEUS=1
(CI installs Debian's ``prometheus`` package, which ships both)."""

from __future__ import annotations

import shutil

import pytest

from tests.helpers import needs


def prometheus_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        needs.missing(f"{name} is not installed (apt install prometheus)", "HARNESS_REQUIRE_PROMETHEUS")
    return found


@pytest.fixture
def promtool() -> str:
    return prometheus_tool("promtool")


@pytest.fixture
def prometheus_binary() -> str:
    return prometheus_tool("prometheus")
