"""The rendered project's `nox -s tests` on its default Python, installing its dependency groups with the pip a fresh
``python -m venv`` brings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import needs
from tests.helpers.render import REPO_ROOT, RenderFn

pytestmark = pytest.mark.slow


def _run(argv: list[str], cwd: Path, python_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{python_dir}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)


def test_nox_tests_pass_on_the_default_python_in_a_venv_whose_pip_has_no_group_option(
    render: RenderFn, tmp_path: Path
) -> None:
    """What a newcomer runs first (`nox -s tests`), on the Python a default render names: the whole suite passes
    (python3-saml's deprecated datetime calls once turned SAML sign-ins into 500s on 3.12)."""
    version = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())["python_version"]["default"]
    python = needs.python(version)
    project = render()
    venv = tmp_path / "bare"
    # Negative control: the pip of `python -m venv` refuses --group, so nox must not rely on it.
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True, capture_output=True)
    pip = [str(venv / "bin" / "pip"), "install", "--dry-run", "-e", ".", "--group", "dev"]
    bare = _run(pip, project, python.parent)
    assert bare.returncode != 0 and "--group" in bare.stderr, bare.stdout + bare.stderr

    nox = [
        sys.executable,
        "-m",
        "nox",
        "-s",
        "tests",
        "--force-venv-backend",
        "venv",
        "--",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    result = _run(nox, project, python.parent)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "pip install --upgrade pip" in result.stderr and "--group dev" in result.stderr
