"""What a test needs from the machine. Without it the test skips, unless the variable CI sets says it must be here
(HARNESS_REQUIRE_BROWSER, _DOCKER, _PROMETHEUS, _LOCALSTACK, _PYTHONS): then it fails, so a missing tool never
hides in CI behind a skip."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

from harness import browser
from harness.services.aws import find_python

REQUIRE_LOCALSTACK = "HARNESS_REQUIRE_LOCALSTACK"
REQUIRE_PYTHONS = "HARNESS_REQUIRE_PYTHONS"


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


def python(version: str) -> Path:
    """The interpreter of Python ``version`` ("3.12") in pyenv (CI has pyenv's) or on PATH (pyenv's shims there
    may name a version that is not installed, so its own directories come first)."""
    installed = sorted(PYENV.glob(f"{version}.*/bin/python{version}"), reverse=True)
    found = str(installed[0]) if installed else shutil.which(f"python{version}")
    if found is None:
        missing(f"no Python {version} on PATH or in pyenv", REQUIRE_PYTHONS)
    return Path(found)


PYENV = Path.home() / ".pyenv" / "versions"
