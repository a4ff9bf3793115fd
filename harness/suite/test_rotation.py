"""Secret-rotation drill: a new kernia_secret version in Vault, a grace period that still accepts the previous one,
then its retirement (see harness.drills.rotation; the rendered project's docs/runbook.md has the procedure).

The drill runs once per module on its own backends and puts the deployed backend's secret back in Vault at the end.
Its own xdist group keeps its checks on one worker, beside the recovery drill on the other; a file lock keeps the
two apart only while it matters (the restored backend must not start while Vault holds the drill's temporary secret).
"""

from __future__ import annotations

import pytest

from harness import stack
from harness.drills.results import DrillCheck, DrillReport
from harness.drills.rotation import ROTATION

from .flows import report_drill_check

pytestmark = [pytest.mark.rotation, pytest.mark.xdist_group("rotation")]


@pytest.fixture(scope="module")
def drill(deployed: stack.Running) -> DrillReport:
    """One rotation drill shared by the module's checks (it is slow)."""
    return ROTATION.run(deployed)


@pytest.mark.parametrize("check", ROTATION.checks, ids=lambda check: check.name)
def test_rotation(drill: DrillReport, check: DrillCheck[object], request: pytest.FixtureRequest) -> None:
    report_drill_check(request, drill.result(check))
