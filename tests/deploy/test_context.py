"""The typed deployment record: JSON round trip, and the mapping calls unmerged code still makes."""

from __future__ import annotations

import pytest

from harness.deploy.context import Deployment


def test_round_trip_keeps_only_what_was_recorded_and_unknown_keys() -> None:
    data = {"backend_url": "http://127.0.0.1:1", "steps": [], "a_later_branch_key": 1}
    deployment = Deployment.from_dict(data)
    assert deployment.backend_url == "http://127.0.0.1:1" and deployment.extra == {"a_later_branch_key": 1}
    assert deployment.to_dict() == data
    assert Deployment.from_dict(deployment.to_dict()) == deployment


def test_mapping_calls_treat_an_unset_field_as_a_missing_key() -> None:
    deployment = Deployment(frontend_url="http://127.0.0.1:2")
    assert deployment["frontend_url"] == "http://127.0.0.1:2" and "frontend_url" in deployment
    assert "backend_url" not in deployment and deployment.get("backend_url", "none") == "none"
    with pytest.raises(KeyError):
        deployment["backend_url"]
    assert deployment.setdefault("frontend_port", 3) == 3 and deployment.frontend_port == 3
    deployment.update(role="demo_app", custom="x")
    assert deployment.role == "demo_app" and deployment["custom"] == "x"
