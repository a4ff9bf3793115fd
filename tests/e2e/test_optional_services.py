"""End to end: a project rendered with every optional service (SMS, object storage, queue) rehearsed natively.

CI rehearses this project besides the default one, so the optional services' checks run for real: they must be
reported passed, never skipped (they skip only in a project rendered without the option).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.signals.phase import SIGNALS
from harness.state import StackState
from tests.helpers.cli import describe, harness
from tests.helpers.optional import OPTIONAL_CHECKS
from tests.helpers.render import render_project

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("native-stack")]


def test_all_options_project_rehearses_its_optional_services(tmp_path: Path) -> None:
    project = render_project(tmp_path / "all-options", with_sms=True, with_object_storage=True, with_queue=True)
    report_path = tmp_path / "rehearsal.json"
    result = harness(
        project,
        "rehearse",
        "--provider",
        "native",
        "-n",
        "2",
        "--skip-recovery",
        "--report",
        str(report_path),
        timeout=1800,
    )
    assert result.returncode == 0, describe(result)
    report = json.loads(report_path.read_text())
    assert report["status"] == "passed"
    steps = [s["name"] for s in report["steps"]]
    assert steps[:2] == ["provision", "provision_aws"] and "deploy_worker" in steps, steps
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    not_passed = {name: statuses.get(name, "missing") for name in OPTIONAL_CHECKS if statuses.get(name) != "passed"}
    assert not not_passed, f"optional-service checks not passed: {not_passed}"
    # Every option on, natively: nothing may be skipped, and each of the guide's nine signals fired under its fault.
    assert all(c["status"] == "passed" for c in report["checks"]), [
        c for c in report["checks"] if c["status"] != "passed"
    ]
    assert [row["signal"] for row in report["signals"]] == [signal.name for signal in SIGNALS]
    for row in report["signals"]:
        assert row["status"] == "passed" and row["fault"] and row["alert"] and row["fired_after"] is not None, row
    assert not StackState(project).exists(), "the stack record outlived the rehearsal"
