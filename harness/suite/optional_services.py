"""What the optional-service checks (test_optional_*.py) share: skipping when the option is off, the stack's AWS,
the deployed processes' logs and metrics."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

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


def metric_total(url: str, name: str, labels: dict[str, str], headers: dict[str, str] | None = None) -> float:
    """The sum of ``name``'s samples carrying ``labels`` at a Prometheus endpoint (0 before the first one)."""
    response = httpx.get(url, headers=headers, timeout=10)
    response.raise_for_status()
    return sum(
        sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )
