"""What the optional-service checks (test_optional_*.py) share: skipping when the option is off, the stack's AWS,
the deployed processes' logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import stack
from harness.services import aws


def require_option(running: stack.Running, option: str) -> None:
    """Skip, saying so, when the project was rendered without ``option`` (a Copier answer)."""
    if not running.project.answers.get(option):
        pytest.skip(f"the project was rendered with {option}=false: the service is not part of it")


def aws_implementation(running: stack.Running) -> str:
    """Which program serves the stack's AWS APIs (LocalStack or moto), as the provider recorded it."""
    found = [s.implementation for s in running.handle.endpoints.services if s.name == aws.NAME]
    return found[0] if found else "LocalStack"  # compose and external stacks run LocalStack's image


def process_log(running: stack.Running, name: str) -> str:
    """The log file of a deployed process (backend, worker), as an operator would read it."""
    record = (running.deployment.processes or {}).get(name)
    assert record, f"no deployed process {name!r} is recorded"
    return Path(record["log_path"]).read_text(errors="replace")
