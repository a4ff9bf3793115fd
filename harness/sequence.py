"""Kernia's deployment sequence, steps 1-5: each step named, timed and reported (step 6, smoke, runs under pytest)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.endpoints import Endpoints
from harness.project import Project
from harness.providers.base import Progress, silent
from harness.services.vault.store import VaultStore


class StepFailed(RuntimeError):
    """A deployment step did not achieve what it must; the message says what and how to fix it."""


@dataclass
class StepResult:
    name: str
    status: str  # passed | failed | not run
    seconds: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Context:
    """Everything a step reads, plus the deployment record the steps fill in (JSON, no secrets)."""

    project: Project
    endpoints: Endpoints
    run_dir: Path
    progress: Progress = silent
    python: str = sys.executable
    deployment: dict[str, Any] = field(default_factory=dict)

    @property
    def vault(self) -> VaultStore:
        return VaultStore(
            addr=self.endpoints.vault_addr,
            token=self.endpoints.vault_token,
            path=self.deployment.get("vault_path", f"{self.project.slug}/backend"),
        )


Step = Callable[[Context], str]


def deployment_steps() -> list[tuple[str, Step]]:
    # Imported here so that `harness up` does not pay for the deployment modules.
    """The five deployment steps, in order, with their names."""
    from harness.steps import backend, callbacks, frontend, migrate, provision

    return [
        ("provision", provision.run),
        ("migrate", migrate.run),
        ("deploy_backend", backend.run),
        ("configure_callbacks", callbacks.run),
        ("deploy_frontend", frontend.run),
    ]


def run_sequence(ctx: Context, steps: list[tuple[str, Step]] | None = None) -> list[StepResult]:
    """Run steps in order; stop at the first failure and mark the rest "not run"."""
    steps = deployment_steps() if steps is None else steps
    results: list[StepResult] = []
    failed = False
    for name, step in steps:
        if failed:
            results.append(StepResult(name, "not run", 0.0, "an earlier step failed"))
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
        results.append(StepResult(name, status, seconds, detail))
    return results
