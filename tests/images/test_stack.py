"""The whole rendered stack (all options, observability=full, every profile, backend and frontend built on
the python stand-in) turns healthy on the stand-in images with only image names swapped, then goes away."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml

from tests.helpers.engine import docker_cli
from tests.helpers.render import render_project
from tests.images.stack import compose, image_override, prepare, without_start_interval

PYTHON_STAND_IN = "kernia-stand-in/python:3.12-slim"


def test_override_swaps_only_image_names_and_the_python_base() -> None:
    model = {
        "services": {
            "backend": {"image": "app:dev", "build": {"context": "."}},
            "frontend": {"image": "app:dev", "pull_policy": "never"},
            "redis": {"image": "never-built-here/redis:0.0"},
        }
    }
    override, choices = image_override(model, PYTHON_STAND_IN)
    assert override == {
        "services": {
            "backend": {"build": {"args": {"PYTHON_IMAGE": PYTHON_STAND_IN}}},
            "redis": {"image": "never-built-here/redis:0.0"},  # nothing local: compose reports its pull error
        }
    }
    assert [c.stand_in for c in choices] == [False]


def test_without_start_interval_keeps_the_rest_of_the_healthcheck() -> None:
    text = "    healthcheck:\n      interval: 10s\n      start_interval: 1s\n      retries: 5\n"
    assert without_start_interval(text) == "    healthcheck:\n      interval: 10s\n      retries: 5\n"


@pytest.mark.slow
@pytest.mark.xdist_group("images")
def test_rendered_stack_turns_healthy_on_stand_ins(stand_ins: None, tmp_path: Path) -> None:
    project = render_project(
        tmp_path / "p",
        project_name="Images Stack",
        with_sms=True,
        with_object_storage=True,
        with_queue=True,
        observability="full",
    )
    files, choices = prepare(project, PYTHON_STAND_IN)
    assert all(c.stand_in for c in choices), choices
    name = f"images-test-{uuid.uuid4().hex[:8]}"
    try:
        up = compose(project, name, files, "up", "--detach", "--wait", "--wait-timeout", "600")
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-4000:]
        states = [
            json.loads(line)
            for line in compose(project, name, files, "ps", "-a", "--format", "json").stdout.splitlines()
        ]
        services = {s["Service"]: (s["State"], s["Health"], s["ExitCode"]) for s in states}
        expected = set(yaml.safe_load((project / "compose.yaml").read_text())["services"])
        assert set(services) == expected
        unready = {
            service: (state, health, code)
            for service, (state, health, code) in services.items()
            if (state, health) != ("running", "healthy") and (state, code) != ("exited", 0)
        }
        assert not unready, f"{unready}\n{up.stderr[-3000:]}"
    finally:
        down = compose(project, name, files, "down", "--volumes", "--remove-orphans")
        docker_cli("image", "rm", "-f", "images_stack:dev", check=False)  # built from the project: ours to remove
    assert down.returncode == 0, down.stderr[-2000:]
    leftovers = docker_cli("ps", "-a", "-q", "--filter", f"label=com.docker.compose.project={name}").stdout.strip()
    assert leftovers == ""
