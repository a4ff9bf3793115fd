"""`copier update` from an earlier template commit, and the harness pin that ties a project to its template commit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import copier
import pytest
import yaml

from tests.helpers.render import REPO_ROOT


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    """This working tree (uncommitted changes included) as a fresh git repository with one commit, "v1"."""
    repo = tmp_path / "template-repo"
    files = git("ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=REPO_ROOT).split("\0")
    for name in filter(None, files):
        source = REPO_ROOT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "v1", cwd=repo)
    git("tag", "v1", cwd=repo)
    return repo


def test_copier_update_to_a_newer_template_applies_without_conflicts(template_repo: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    copier.run_copy(str(template_repo), project, data={"project_name": "Demo Auth"}, defaults=True, unsafe=True)
    git("init", "-q", "-b", "main", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-q", "-m", "rendered v1", cwd=project)

    readme = template_repo / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\n## Changelog\n\nTemplate v2.\n")
    redis = template_repo / "compose" / "redis.yaml"
    redis.write_text(redis.read_text().replace("redis:", "redis:  # v2", 1))
    git("commit", "-q", "-am", "v2", cwd=template_repo)
    git("tag", "v2", cwd=template_repo)

    copier.run_update(project, defaults=True, unsafe=True, overwrite=True, conflict="rej")

    leftovers = [p.name for p in project.rglob("*.rej")]
    markers = [p.name for p in project.rglob("*") if p.is_file() and "<<<<<<<" in p.read_text(errors="ignore")]
    assert not leftovers and not markers, f"update left conflicts: {leftovers or markers}"
    assert "Template v2." in (project / "README.md").read_text()
    assert "# v2" in (project / "compose.yaml").read_text()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v2" and answers["project_slug"] == "demo_auth"


def test_rendered_project_pins_the_harness_to_its_template_commit(template_repo: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    copier.run_copy(str(template_repo), project, data={"project_name": "Demo Auth"}, defaults=True, unsafe=True)
    head = git("rev-parse", "HEAD", cwd=template_repo)
    pin = f"kernia-harness[compose,testcontainers] @ git+file://{template_repo}@{head}"
    assert pin in (project / "pyproject.toml").read_text()
    resolved = subprocess.run(
        [shutil.which("uv") or "uv", "pip", "install", "--dry-run", "--python", sys.executable, "--group", "harness"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    assert resolved.returncode == 0, resolved.stdout + resolved.stderr
    assert "kernia-harness" in resolved.stdout + resolved.stderr
