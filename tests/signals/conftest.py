"""promtool and prometheus for the signals tests: skipped without them, required with HARNESS_REQUIRE_PROMETHEUS=1
(CI installs Debian's ``prometheus`` package, which ships both)."""

from __future__ import annotations

import os
import shutil

import pytest


def prometheus_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        message = f"{name} is not installed (apt install prometheus)"
        if os.environ.get("HARNESS_REQUIRE_PROMETHEUS") == "1":
            pytest.fail(f"{message}; HARNESS_REQUIRE_PROMETHEUS=1 requires it", pytrace=False)
        pytest.skip(message)
    return found


@pytest.fixture
def promtool() -> str:
    return prometheus_tool("promtool")


@pytest.fixture
def prometheus_binary() -> str:
    return prometheus_tool("prometheus")
