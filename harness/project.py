"""The rendered project the harness drives, read from its Copier answers file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ANSWERS_FILE = ".copier-answers.yml"


class ProjectError(RuntimeError):
    """The directory is not a rendered Kernia project the harness can drive."""


@dataclass(frozen=True)
class Project:
    root: Path
    answers: dict[str, Any]

    @classmethod
    def load(cls, root: Path) -> Project:
        root = root.resolve()
        answers_path = root / ANSWERS_FILE
        if not answers_path.is_file():
            raise ProjectError(
                f"{root} has no {ANSWERS_FILE}: run the harness inside a project rendered with "
                "`copier copy <template> DIR`, or pass --project DIR"
            )
        answers = yaml.safe_load(answers_path.read_text()) or {}
        missing = [key for key in ("project_slug", "auth_path") if key not in answers]
        if missing:
            raise ProjectError(f"{answers_path} lacks {', '.join(missing)}: re-render it with `copier update`")
        return cls(root=root, answers=answers)

    @property
    def slug(self) -> str:
        return str(self.answers["project_slug"])

    @property
    def auth_path(self) -> str:
        return str(self.answers["auth_path"])

    @property
    def postgres_major(self) -> int:
        return int(self.answers.get("postgres_major", 18))

    @property
    def source_dir(self) -> Path:
        return self.root / "src"

    def option(self, name: str) -> Any:
        """A Copier answer by name; None when the project was rendered without it."""
        return self.answers.get(name)


def app_role(slug: str) -> str:
    """The PostgreSQL role provisioning creates for the backend, which owns its tables (and restored ones)."""
    return f"{slug}_app"
