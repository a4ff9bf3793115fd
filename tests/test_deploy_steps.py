"""The deployment sequence grows with the project's optional services: their AWS resources before the backend
(which reads their addresses), the queue worker after it; a default project keeps the five steps."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from harness.deploy.sequence import deployment_steps

FIVE = ["provision", "migrate", "deploy_backend", "configure_callbacks", "deploy_frontend"]


def names(**answers: Any) -> list[str]:
    ctx = SimpleNamespace(project=SimpleNamespace(answers=answers))
    return [name for name, _ in deployment_steps(ctx)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, FIVE),
        ({"with_sms": False, "with_queue": False}, FIVE),
        ({"with_sms": True}, ["provision", "provision_aws", *FIVE[1:]]),
        ({"with_object_storage": True}, ["provision", "provision_aws", *FIVE[1:]]),
        (
            {"with_queue": True},
            ["provision", "provision_aws", "migrate", "deploy_backend", "deploy_worker", *FIVE[3:]],
        ),
    ],
)
def test_optional_services_add_their_steps_in_order(answers: dict[str, Any], expected: list[str]) -> None:
    assert names(**answers) == expected


def test_without_a_project_the_five_steps() -> None:
    assert [name for name, _ in deployment_steps()] == FIVE
