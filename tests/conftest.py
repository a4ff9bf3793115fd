"""Shared fixtures: render the template from the working tree into a temporary directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

RenderFn = Callable[..., Path]


def render_project(dest: Path, **answers: Any) -> Path:
    """Render the template from this working tree (uncommitted changes included) with ``answers``."""
    copier.run_copy(
        str(REPO_ROOT),
        dest,
        data={"project_name": "Demo Auth", **answers},
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref="HEAD",
    )
    return dest


@pytest.fixture
def render(tmp_path: Path) -> RenderFn:
    """Render the template into a fresh directory under ``tmp_path``; returns the project directory."""
    counter = iter(range(1000))

    def _render(**answers: Any) -> Path:
        return render_project(tmp_path / f"project{next(counter)}", **answers)

    return _render
