"""Steps 1-5 of the deployment sequence: each step's recorded outcome is one test (the plugin ran them once)."""

from __future__ import annotations

import pytest

from harness import stack
from harness.deploy.sequence import deployment_steps

STEP_NAMES = [name for name, _ in deployment_steps()]


@pytest.mark.parametrize("step", STEP_NAMES)
def test_deployment_step(running: stack.Running, step: str) -> None:
    recorded = {s["name"]: s for s in running.deployment.get("steps", [])}
    if step not in recorded:
        pytest.fail(f"{step} was never run: the stack was not deployed", pytrace=False)
    result = recorded[step]
    if result["status"] == "not run":
        pytest.skip(f"{step} not run: {result['detail']}")
    assert result["status"] == "passed", f"{step} failed after {result['seconds']} s:\n{result['detail']}"
