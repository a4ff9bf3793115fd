"""Secret-rotation drill: a new kernia_secret version in Vault, a grace period that still accepts the previous one,
then its retirement (see harness.drills.rotation; the rendered project's docs/runbook.md has the procedure).

The drill runs once per module on its own backends and puts the deployed backend's secret back in Vault at the end.
It shares the recovery drill's xdist group, and a file lock keeps the two apart wherever they run (the restored
backend must not start while Vault holds the drill's temporary secret).
"""

from __future__ import annotations

import pytest

from harness.deploy.context import Context
from harness.drills.results import DrillReport
from harness.drills.rotation import run_rotation_drill

from .flows import require_passed

pytestmark = [pytest.mark.rotation, pytest.mark.xdist_group("recovery")]


@pytest.fixture(scope="module")
def rotation(ctx: Context) -> DrillReport:
    """One rotation drill shared by the module's checks (it is slow)."""
    return run_rotation_drill(ctx)


def test_rotation_grace_accepts_cookie_issued_before_rotation(rotation: DrillReport) -> None:
    require_passed(rotation.check("grace_accepts_cookie_issued_before_rotation"))


def test_rotation_grace_reissues_cookie_signed_with_new_secret(rotation: DrillReport) -> None:
    require_passed(rotation.check("grace_reissues_cookie_signed_with_new_secret"))


def test_rotation_retirement_refuses_cookie_signed_with_old_secret(rotation: DrillReport) -> None:
    require_passed(rotation.check("retirement_refuses_cookie_signed_with_old_secret"))


def test_rotation_retirement_accepts_cookie_signed_with_new_secret(rotation: DrillReport) -> None:
    require_passed(rotation.check("retirement_accepts_cookie_signed_with_new_secret"))


def test_rotation_passwords_survive(rotation: DrillReport) -> None:
    require_passed(rotation.check("passwords_survive_rotation"))


def test_rotation_api_keys_survive(rotation: DrillReport) -> None:
    require_passed(rotation.check("api_keys_survive_rotation"))


def test_rotation_scim_tokens_survive(rotation: DrillReport) -> None:
    require_passed(rotation.check("scim_tokens_survive_rotation"))


def test_rotation_leaves_vault_usable_by_deployed_backend(rotation: DrillReport) -> None:
    require_passed(rotation.check("vault_left_usable_by_deployed_backend"))
