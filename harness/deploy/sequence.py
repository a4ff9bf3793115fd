"""Kernia's deployment sequence, steps 1-5 (and the optional services' own steps): each step named, timed and
reported (step 6, smoke, runs under pytest).

The steps import only ``harness.deploy.context`` (and the libraries below it); this module imports the steps.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from harness import interrupts
from harness.deploy import aws_resources, backend, callbacks, frontend, migrate, provision, worker
from harness.deploy.context import Context, StepFailed
from harness.report import Outcome

Step = Callable[[Context], str]

STEPS: tuple[tuple[str, Step], ...] = (
    ("provision", provision.run),
    ("migrate", migrate.run),
    ("deploy_backend", backend.run),
    ("configure_callbacks", callbacks.run),
    ("deploy_frontend", frontend.run),
)


def deployment_steps(ctx: Context | None = None) -> list[tuple[str, Step]]:
    """The five deployment steps, in order, with their names; for a project with optional services (``ctx``),
    their AWS resources right after provisioning and the queue worker right after the backend."""
    steps: list[tuple[str, Step]] = []
    for name, step in STEPS:
        steps.append((name, step))
        if ctx is not None and name == "provision" and aws_resources.options(ctx):
            steps.append(("provision_aws", aws_resources.run))
        if ctx is not None and name == "deploy_backend" and worker.needed(ctx):
            steps.append(("deploy_worker", worker.run))
    return steps


def run_sequence(ctx: Context, steps: list[tuple[str, Step]] | None = None) -> list[Outcome]:
    """Run steps in order; stop at the first failure and mark the rest "not run"."""
    steps = deployment_steps(ctx) if steps is None else steps
    results: list[Outcome] = []
    failed = False
    for name, step in steps:
        if failed:
            results.append(Outcome(name, "not run", 0.0, "an earlier step failed"))
            continue
        ctx.progress(f"{name}: running")
        started = time.perf_counter()
        try:
            detail = step(ctx)
            status = "passed"
        except StepFailed as exc:
            detail, status, failed = str(exc), "failed", True
        seconds = round(time.perf_counter() - started, 3)
        ctx.progress(f"{name}: {status} in {seconds:.2f} s — {detail.splitlines()[0] if detail else ''}")
        results.append(Outcome(name, status, seconds, detail))
        interrupts.check()  # a Ctrl-C swallowed during this step stops the deployment here
    return results


__all__ = ["STEPS", "Context", "Step", "StepFailed", "deployment_steps", "run_sequence"]
