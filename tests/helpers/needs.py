"""What a test needs from the machine. Without it the test skips, unless the variable CI sets says it must be here
(HARNESS_REQUIRE_BROWSER, _DOCKER, _PROMETHEUS, _LOCALSTACK): then it fails, so a missing tool never hides in CI
behind a skip."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

from harness import browser
from harness.services.aws import find_python

REQUIRE_LOCALSTACK = "HARNESS_REQUIRE_LOCALSTACK"


def required(variable: str) -> bool:
    return os.environ.get(variable, "").strip().lower() not in ("", "0", "false", "no")


def missing(message: str, variable: str) -> NoReturn:
    """Skip with ``message``; fail instead when ``variable`` says the missing thing must be here."""
    if required(variable):
        pytest.fail(f"{message}, and {variable} says it must be here", pytrace=False)
    pytest.skip(message)


def chromium() -> str:
    """The Chromium the browser checks drive."""
    found = browser.find_chromium()
    if found is None:
        missing(browser.missing_browser_reason() or "no Chromium", browser.REQUIRE_ENV)
    return found


def localstack_python() -> tuple[Path, tuple[int, int]]:
    """A Python >= 3.12 for LocalStack's virtualenv (CI has pyenv's)."""
    found = find_python()
    if found is None:
        missing("LocalStack 4.14 needs Python >= 3.12; none on PATH or in pyenv", REQUIRE_LOCALSTACK)
    return found
