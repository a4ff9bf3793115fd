"""What every deployment step reads and fills in: the leaf of harness.deploy (it imports no step).

Steps, the backend library (harness.app), the drills and the checks take a ``Context``; a step that cannot
achieve what it must raises ``StepFailed`` with a message that says what and how to fix it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from harness.console import Progress, silent
from harness.deploy.app_host import AppHost
from harness.endpoints import Endpoints
from harness.project import Project
from harness.report import Outcome
from harness.services.vault.store import VaultStore


class StepFailed(RuntimeError):
    """A deployment step did not achieve what it must; the message says what and how to fix it."""


class NotDeployed(LookupError):
    """The deployment record lacks what a reader needs: the steps that record it did not run."""


@dataclass(frozen=True)
class Deployed:
    """The addresses step 3 records, which every later reader (steps 4-5, drills, checks, the CLI) needs."""

    backend_url: str
    auth_base_url: str
    frontend_url: str


@dataclass
class Deployment:
    """What the deployment steps recorded (JSON, no secrets), typed like StackHandle.

    Steps, drills, checks and the CLI read the attributes (``deployed()`` for the addresses); a record written by
    another version of the harness keeps the keys it does not know in ``extra``, so they round-trip.
    """

    vault_path: str | None = None
    database: str | None = None
    role: str | None = None
    migration_head: str | None = None
    frontend_port: int | None = None
    frontend_url: str | None = None
    backend_url: str | None = None
    auth_base_url: str | None = None
    callbacks: dict[str, str] | None = None
    processes: dict[str, dict[str, Any]] | None = None  # name -> ProcessRecord.to_dict()
    # The optional services' resources (harness.deploy.aws_resources, harness.deploy.worker).
    optional_env: dict[str, str] | None = None  # the queue and bucket addresses the backend and worker get
    email_dead_letter_queue_url: str | None = None
    worker_metrics_url: str | None = None
    steps: list[Outcome] | None = None  # one per deployment step, in order
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | Deployment | None) -> Deployment:
        if isinstance(data, Deployment):
            return data
        names = {f.name for f in fields(cls)} - {"extra"}
        data = dict(data or {})
        extra = {key: data.pop(key) for key in list(data) if key not in names}
        if data.get("steps") is not None:
            data["steps"] = [Outcome(**step) for step in data["steps"]]
        return cls(**data, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """Only what was recorded: unset fields are left out, as the steps never wrote them."""
        recorded = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        if self.steps is not None:
            recorded["steps"] = [step.to_dict() for step in self.steps]
        return {**{key: value for key, value in recorded.items() if value is not None}, **self.extra}

    def deployed(self) -> Deployed:
        """The deployment's addresses; NotDeployed naming what is missing when step 3 has not recorded them."""
        urls = {"backend_url": self.backend_url, "auth_base_url": self.auth_base_url, "frontend_url": self.frontend_url}
        missing = [name for name, value in urls.items() if not value]
        if missing:
            raise NotDeployed(f"the deployment record has no {', '.join(missing)}: deploy the stack (`harness deploy`)")
        return Deployed(**{name: str(value) for name, value in urls.items()})

    @property
    def failed_steps(self) -> list[Outcome]:
        """The recorded steps that did not pass."""
        return [step for step in self.steps or [] if step.status != "passed"]


@dataclass
class Context:
    """Everything a step reads, plus the deployment record the steps fill in (JSON, no secrets)."""

    project: Project
    endpoints: Endpoints
    run_dir: Path
    progress: Progress = silent
    python: str = sys.executable
    deployment: Deployment = field(default_factory=Deployment)
    app_host: AppHost | None = None  # the provider's containers for the backend and frontend (None: processes)

    def __post_init__(self) -> None:
        self.deployment = Deployment.from_dict(self.deployment)

    @property
    def vault(self) -> VaultStore:
        return VaultStore(
            addr=self.endpoints.vault_addr,
            token=self.endpoints.vault_token,
            path=self.deployment.vault_path or f"{self.project.slug}/backend",
        )
