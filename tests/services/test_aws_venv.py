"""The LocalStack venv is built with the uv installed alongside the harness, never one looked up on PATH."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from uv import find_uv_bin

from harness.services import aws
from tests.helpers.render import REPO_ROOT


def test_harness_depends_on_uv_and_xdist() -> None:
    """Read from pyproject.toml, not the installed metadata (which an older install would still satisfy)."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    names = {Requirement(req).name for req in project["dependencies"]}
    assert {"uv", "pytest-xdist"} <= names, "`harness rehearse -n 2` needs xdist; the LocalStack venv needs uv"


def test_localstack_venv_builds_without_uv_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(aws, "find_python", lambda: (Path(sys.executable), (3, 12)))
    commands: list[list[str]] = []
    monkeypatch.setattr(aws, "run_step", lambda name, argv, **kwargs: commands.append(argv))

    def ensure_tool(key: str, build) -> Path:
        build(tmp_path)
        return tmp_path

    monkeypatch.setattr(aws, "ensure_tool", ensure_tool)

    class Ctx:
        def log_path(self, name: str) -> Path:
            return tmp_path / f"{name}.log"

    assert aws.localstack_venv(Ctx()) == tmp_path / "venv" / "bin" / "python"  # type: ignore[arg-type]
    assert [argv[0] for argv in commands] == [find_uv_bin()] * 2
