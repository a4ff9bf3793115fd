"""Project: the rendered project's answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.project import Project, ProjectError


def test_project_load_explains_a_missing_answers_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"has no \.copier-answers\.yml"):
        Project.load(tmp_path)
