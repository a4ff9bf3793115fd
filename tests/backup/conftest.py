"""One seeded native stack per test module (it takes seconds to start), stopped in the fixture's finalizer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.backup import Backup, create_backup
from harness.stack import Running
from tests.helpers.drill_stack import USERS, drill_stack


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with drill_stack(tmp_path_factory.mktemp("project"), USERS) as running:
        yield running


@pytest.fixture(scope="module")
def backup(running: Running, tmp_path_factory: pytest.TempPathFactory) -> Backup:
    return create_backup(running.database(), running.project.slug, tmp_path_factory.mktemp("backups"))
