"""Pieces the suite's checks share that are about pytest itself (the API actions live in harness.actions)."""

from __future__ import annotations

import pytest

from harness.drills.results import Check


def require_passed(check: Check) -> None:
    """Fail with the drill's own evidence; without a traceback, that evidence is what the report shows."""
    if not check.passed:
        pytest.fail(f"{check.name}: {check.detail}", pytrace=False)
