"""End to end on native services: `harness rehearse --recovery` runs the recovery and rotation drills through the real
CLI on two xdist workers, reports every drill check as passed, and leaves nothing running."""

from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest

from harness.drills.recovery import RECOVERY
from harness.drills.rotation import ROTATION
from harness.state import StackState
from tests.helpers.cli import describe, harness
from tests.helpers.render import render_project

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("native-stack")]
DRILLS = (RECOVERY, ROTATION)
DRILL_CHECKS = tuple(f"test_{drill.name}[{check.name}]" for drill in DRILLS for check in drill.checks)


def test_rehearse_recovery_passes_every_drill_check_and_leaves_nothing_behind(tmp_path: Path) -> None:
    project = render_project(tmp_path / "drills")
    report_path = tmp_path / "drills.json"
    args = ["rehearse", "--provider", "native", "--option", "aws=moto", "-n", "2", "--recovery"]
    result = harness(project, *args, "--report", str(report_path), timeout=900)
    assert result.returncode == 0, describe(result)

    report = json.loads(report_path.read_text())
    assert report["status"] == "passed", report["checks"]
    assert report["steps"] and all(s["status"] == "passed" for s in report["steps"]), report["steps"]
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses == dict.fromkeys(DRILL_CHECKS, "passed"), statuses
    seconds = {c["name"]: c["seconds"] for c in report["checks"]}
    for drill in DRILLS:  # the drill's work (seeding, backups, backend starts) shows in its checks' seconds
        first = f"test_{drill.name}[{drill.checks[0].name}]"
        assert seconds[first] >= 1.0, f"{first} reports {seconds[first]} s, though the drill ran before it"

    assert not StackState(project).exists(), "the stack record outlived the rehearsal"
    leftovers = [
        p.info for p in psutil.process_iter(["pid", "cmdline"]) if str(project) in " ".join(p.info["cmdline"] or [])
    ]
    assert not leftovers, f"processes of the rehearsal still run: {leftovers}"
