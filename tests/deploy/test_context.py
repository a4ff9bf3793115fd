"""The typed deployment record: JSON round trip, unknown keys kept."""

from __future__ import annotations

from harness.deploy.context import Deployment


def test_round_trip_keeps_only_what_was_recorded_and_unknown_keys() -> None:
    data = {"backend_url": "http://127.0.0.1:1", "steps": [], "a_later_branch_key": 1}
    deployment = Deployment.from_dict(data)
    assert deployment.backend_url == "http://127.0.0.1:1" and deployment.extra == {"a_later_branch_key": 1}
    assert deployment.to_dict() == data
    assert Deployment.from_dict(deployment.to_dict()) == deployment


def test_the_optional_services_resources_are_typed_fields() -> None:
    deployment = Deployment(worker_metrics_url="http://127.0.0.1:9", optional_env={"EMAIL_QUEUE_URL": "q"})
    assert Deployment.from_dict(deployment.to_dict()) == deployment and deployment.extra == {}
