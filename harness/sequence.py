"""Old import path, kept until the branches that still import it are merged: use ``harness.deploy`` (the sequence)
and ``harness.deploy.context`` (Context, StepFailed)."""

from harness.deploy.context import Context, StepFailed, StepResult
from harness.deploy.sequence import STEPS, Step, deployment_steps, run_sequence

__all__ = ["STEPS", "Context", "Step", "StepFailed", "StepResult", "deployment_steps", "run_sequence"]
