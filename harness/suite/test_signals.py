"""The fault phase: each of the nine monitoring signals driven by a real fault, read back from a real Prometheus that
evaluates the project's own alert rules (harness.signals; the report's ``signals`` section has one row each).

The phase runs on a thread beside the other checks (harness.signals.runner) against its own canary (backend,
database, Redis and mail server: harness.signals.canary). These checks come last, wait for its outcome and report
it: one check per signal, and the stack's health afterwards.
"""

from __future__ import annotations

import httpx
import pytest

from harness import stack
from harness.authz import operator_headers
from harness.signals.phase import SIGNALS
from harness.signals.runner import MARKER, Outcome, run_stopping, wait_for_outcome

# Not an xdist group: pytest-xdist hands out its largest groups first, and these checks come last (harness.suite.
# conftest), when the phase they wait for is done or nearly so.
pytestmark = [pytest.mark.monitoring, getattr(pytest.mark, MARKER)]


@pytest.fixture(scope="module")
def phase(pytestconfig: pytest.Config, deployed: stack.Running) -> Outcome:
    """The phase's outcome; its checks skip when it could not run here and fail when it could not run at all."""
    outcome = wait_for_outcome(deployed.handle.run_dir, run_stopping(pytestconfig))
    if outcome.status == "skipped":
        pytest.skip(outcome.detail)
    if outcome.status != "passed":
        pytest.fail(f"the fault phase {outcome.status}: {outcome.detail}", pytrace=False)
    return outcome


@pytest.mark.parametrize("name", [signal.name for signal in SIGNALS])
def test_signal_fires_under_its_fault(name: str, phase: Outcome, record_property: pytest.RecordProperty) -> None:
    row = phase.row(name)
    record_property("signals", [row])
    assert row["status"] == "passed", f"{name}: {row['detail']}"


def test_stack_is_healthy_after_the_fault_phase(
    phase: Outcome, backend_url: str, backend_secrets: dict[str, str]
) -> None:
    response = httpx.get(f"{backend_url}/readyz", headers=operator_headers(backend_secrets["ops_token"]), timeout=15)
    assert response.status_code == 200, f"/readyz after the fault phase: {response.status_code} {response.text}"
    assert not phase.alerts_after, f"alerts still active after the fault phase: {phase.alerts_after}"
