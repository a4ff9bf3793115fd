"""Rendering from a relative path: Copier refuses it before asking or writing anything, and says how to render."""

from __future__ import annotations

from pathlib import Path

import copier
import pytest

from tests.helpers.render import REPO_ROOT


def test_a_relative_template_path_is_refused_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT.parent)
    project = tmp_path / "project"
    with pytest.raises(Exception, match="is relative") as refused:
        copier.run_copy(
            REPO_ROOT.name, project, data={"project_name": "Demo Auth"}, defaults=True, unsafe=True, vcs_ref="HEAD"
        )
    message = str(refused.value)
    assert f'render from a URL or an absolute path, e.g. copier copy "$(realpath {REPO_ROOT.name})"' in message
    assert not project.exists(), "a refused render left files behind"


def test_an_absolute_template_path_pins_the_harness_to_it(tmp_path: Path) -> None:
    project = tmp_path / "project"
    copier.run_copy(
        str(REPO_ROOT), project, data={"project_name": "Demo Auth"}, defaults=True, unsafe=True, vcs_ref="HEAD"
    )
    assert (
        f'"kernia-harness[compose,testcontainers] @ git+file://{REPO_ROOT}@' in (project / "pyproject.toml").read_text()
    )
    assert "harness_source" not in (project / ".copier-answers.yml").read_text()  # computed, not an answer
