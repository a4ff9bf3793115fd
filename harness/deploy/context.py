"""What every deployment step reads and fills in: the leaf of harness.deploy (it imports no step).

Steps, the backend library (harness.app), the drills and the checks take a ``Context``; a step that cannot
achieve what it must raises ``StepFailed`` with a message that says what and how to fix it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.console import Progress, silent
from harness.endpoints import Endpoints
from harness.project import Project
from harness.report import Outcome
from harness.services.vault.store import VaultStore

StepResult = Outcome  # a step's outcome: passed | failed | not run


class StepFailed(RuntimeError):
    """A deployment step did not achieve what it must; the message says what and how to fix it."""


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
