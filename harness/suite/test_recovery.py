"""Recovery drill: data seeded through the API survives backup, upload, restore into a fresh database and a second
backend running on it (see harness.drills.recovery; the rendered project's docs/runbook.md explains each check).

One module-scoped drill serves every check. The drills share an xdist group so they run on one worker, one after
the other; a file lock keeps them apart even where xdist splits the group (the rotation drill rewrites the Vault
secret the restored backend reads at start).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import stack
from harness.drills import recovery
from harness.drills.recovery import RecoveryDrill, restored_backend

from .flows import require_passed

pytestmark = [pytest.mark.recovery, pytest.mark.xdist_group("recovery")]


@pytest.fixture(scope="module")
def drill(deployed: stack.Running) -> Iterator[RecoveryDrill]:
    """One backup/restore drill shared by the module's checks (it is slow)."""
    with restored_backend(deployed, Path(deployed.handle.run_dir) / "drills" / "recovery") as running_drill:
        yield running_drill


def test_manifest_matches_restored_database(drill: RecoveryDrill) -> None:
    require_passed(drill.run(recovery.manifest_matches_restored_database))


def test_seeded_rows_are_restored(drill: RecoveryDrill) -> None:
    require_passed(drill.run(recovery.seeded_rows_are_restored))


def test_restored_session_cookie_is_accepted(drill: RecoveryDrill) -> None:
    require_passed(drill.run(recovery.session_cookie_is_accepted))


def test_restored_backend_refuses_session_opened_after_backup(drill: RecoveryDrill) -> None:
    require_passed(drill.run(recovery.session_opened_after_backup_is_refused))


def test_restored_api_key_authenticates(drill: RecoveryDrill) -> None:
    require_passed(drill.run(recovery.api_key_authenticates))


def test_restored_scim_token_lists_its_users(drill: RecoveryDrill) -> None:
    require_passed(drill.run(recovery.scim_token_lists_its_users))


def test_restored_sso_provider_is_listed_for_its_domain(drill: RecoveryDrill) -> None:
    require_passed(drill.run(recovery.sso_provider_is_listed_for_its_domain))


def test_restored_subscription_shows_for_its_customer(drill: RecoveryDrill) -> None:
    require_passed(drill.run(recovery.subscription_shows_for_its_customer))


def test_restored_organization_keeps_members_and_invitation(drill: RecoveryDrill) -> None:
    require_passed(drill.run(recovery.organization_keeps_members_and_invitation))


def test_restored_admin_is_still_admin(drill: RecoveryDrill) -> None:
    require_passed(drill.run(recovery.admin_is_still_admin))
