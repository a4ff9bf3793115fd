"""StackState: the per-project record of a running stack."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from harness.providers.base import StackHandle
from harness.state import StackState
from tests.helpers.records import ENDPOINTS, write_answers


def test_state_is_private_and_per_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERNIA_HARNESS_RUNTIME", str(tmp_path / "runtime"))
    one = StackState(write_answers(tmp_path / "one"))
    two = StackState(write_answers(tmp_path / "two"))
    assert one.run_dir != two.run_dir
    one.create_run_dir()
    handle = StackHandle("native", ENDPOINTS, one.run_dir, {"processes": []})
    one.save(handle, {"backend_url": "http://127.0.0.1:1"})
    assert stat.S_IMODE(one.path.stat().st_mode) == 0o600
    loaded, deployment = one.load()
    assert loaded.endpoints == ENDPOINTS and deployment == {"backend_url": "http://127.0.0.1:1"}
    assert not two.exists()
    one.remove()
    assert not one.run_dir.exists()
