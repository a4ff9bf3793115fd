"""Cached bytecode even where PYTHONDONTWRITEBYTECODE is set (this machine kind sets it): the `harness` command and
every Python process it starts read and write a bytecode tree in the tool cache, never next to the sources."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import bytecode


def test_a_child_environment_caches_bytecode_in_the_tool_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KERNIA_HARNESS_CACHE", str(tmp_path))
    env = {"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin"}
    bytecode.apply(env)
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["PYTHONPYCACHEPREFIX"].startswith(str(tmp_path / "pycache" / "py3"))
    assert env["PATH"] == "/usr/bin"


def test_a_prefix_the_user_chose_is_kept() -> None:
    env = {"PYTHONPYCACHEPREFIX": "/srv/pycache", "PYTHONDONTWRITEBYTECODE": "1"}
    bytecode.apply(env)
    assert env == {"PYTHONPYCACHEPREFIX": "/srv/pycache"}


def test_the_harness_command_writes_its_bytecode_to_the_cache(tmp_path: Path) -> None:
    """`python -m harness --help` under PYTHONDONTWRITEBYTECODE=1 leaves the CLI's compiled modules in the cache;
    the negative control, plain Python under the same setting, leaves none."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "KERNIA_HARNESS_CACHE": str(tmp_path / "cache")}
    env.pop("PYTHONPYCACHEPREFIX", None)
    subprocess.run([sys.executable, "-m", "harness", "--help"], env=env, check=True, capture_output=True)
    compiled = {path.name.split(".")[0] for path in (tmp_path / "cache" / "pycache").rglob("*.pyc")}
    assert {"cli", "stack"} <= compiled, sorted(compiled)[:20]

    env["KERNIA_HARNESS_CACHE"] = str(tmp_path / "control")
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "control" / "pycache")
    subprocess.run([sys.executable, "-c", "import harness.cli"], env=env, check=True, capture_output=True)
    assert not list((tmp_path / "control").rglob("*.pyc"))
