"""Steps 1-5 of the deployment sequence: each step's recorded outcome is one test (the plugin ran them once).

The plugin already reports the steps from the deployment record with their own timings; these tests exist so that a
JUnit consumer (CI) sees each step as a test case, pass or fail. The plugin leaves them out of its check list by
their ``deployment_step`` marker.
"""

from __future__ import annotations

import pytest

from harness import stack
from harness.deploy.sequence import deployment_steps

pytestmark = pytest.mark.deployment_step


@pytest.mark.parametrize("step", [name for name, _ in deployment_steps()])
def test_deployment_step(running: stack.Running, step: str) -> None:
    recorded = {s.name: s for s in running.deployment.steps or []}
    if step not in recorded:
        pytest.fail(f"{step} was never run: the stack was not deployed", pytrace=False)
    result = recorded[step]
    if result.status == "not run":
        pytest.skip(f"{step} not run: {result.detail}")
    assert result.status == "passed", f"{step} failed after {result.seconds} s:\n{result.detail}"
