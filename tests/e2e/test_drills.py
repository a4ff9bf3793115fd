"""End to end on native services: `harness rehearse --recovery` runs the recovery and rotation drills through the real
CLI on two xdist workers, reports every drill check as passed, and leaves nothing running."""

from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest

from harness.state import StackState
from tests.helpers.cli import describe, harness
from tests.helpers.render import render_project

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("native-stack")]
DRILL_CHECKS = (
    "test_manifest_matches_restored_database",
    "test_seeded_rows_are_restored",
    "test_restored_session_cookie_is_accepted",
    "test_restored_backend_refuses_session_opened_after_backup",
    "test_restored_api_key_authenticates",
    "test_restored_scim_token_lists_its_users",
    "test_restored_sso_provider_is_listed_for_its_domain",
    "test_restored_subscription_shows_for_its_customer",
    "test_restored_organization_keeps_members_and_invitation",
    "test_restored_admin_is_still_admin",
    "test_rotation_grace_accepts_cookie_issued_before_rotation",
    "test_rotation_grace_reissues_cookie_signed_with_new_secret",
    "test_rotation_retirement_refuses_cookie_signed_with_old_secret",
    "test_rotation_retirement_accepts_cookie_signed_with_new_secret",
    "test_rotation_passwords_survive",
    "test_rotation_api_keys_survive",
    "test_rotation_scim_tokens_survive",
    "test_rotation_leaves_vault_usable_by_deployed_backend",
)


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

    assert not StackState(project).exists(), "the stack record outlived the rehearsal"
    leftovers = [
        p.info for p in psutil.process_iter(["pid", "cmdline"]) if str(project) in " ".join(p.info["cmdline"] or [])
    ]
    assert not leftovers, f"processes of the rehearsal still run: {leftovers}"
