"""Render the template from this working tree into a directory (copier's own API, as `nox -s demo` does)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier

REPO_ROOT = Path(__file__).resolve().parents[2]

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
