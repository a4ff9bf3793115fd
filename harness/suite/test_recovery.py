"""Recovery drill: data seeded through the API survives backup, upload, restore into a fresh database and a second
backend running on it (see harness.drills.recovery; the rendered project's docs/runbook.md explains each check).

One module-scoped drill serves every check; its xdist group keeps them on one worker. The rotation drill runs beside
it on another: a file lock keeps the two apart only while the restored backend starts (the rotation drill rewrites
the Vault secret that backend reads at start).
"""

from __future__ import annotations

import pytest

from harness import stack
from harness.drills.recovery import RECOVERY
from harness.drills.results import DrillCheck, DrillReport

from .flows import report_drill_check

pytestmark = [pytest.mark.recovery, pytest.mark.xdist_group("recovery")]


@pytest.fixture(scope="module")
def drill(deployed: stack.Running) -> DrillReport:
    """One backup/restore drill shared by the module's checks (it is slow)."""
    return RECOVERY.run(deployed)


@pytest.mark.parametrize("check", RECOVERY.checks, ids=lambda check: check.name)
def test_recovery(drill: DrillReport, check: DrillCheck[object], request: pytest.FixtureRequest) -> None:
    report_drill_check(request, drill.result(check))
