"""The compose provider end to end on a real Docker engine, with the stand-in images where no upstream image is.

The same rehearsal (every check of the native one) on the project's own compose.yaml; two projects at once;
a service that never turns healthy named with its logs; Ctrl-C during `up --wait`. After each: no container,
volume or network of the run remains.
"""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from harness.state import StackState
from tests.helpers.cli import describe, harness, harness_argv
from tests.helpers.engine import leftovers, require_stand_ins
from tests.helpers.optional import REDIS_SIGNAL, not_passed
from tests.helpers.render import render_project

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("compose-stack")]


@pytest.fixture(scope="module", autouse=True)
def stand_in_images() -> None:
    require_stand_ins()


# A profile no service has: LocalStack (behind the "aws" profile in a default render) stays off where the test does
# not need it.
NO_AWS = ("--option", "profiles=none")


def project_label(name: str) -> str:
    return f"com.docker.compose.project={name}"


def unique(prefix: str) -> str:
    return f"kh-{prefix}-{secrets.token_hex(3)}"


Rehearsed = tuple[str, subprocess.CompletedProcess[str], dict[str, Any]]  # compose project name, run, report


def rehearsed(tmp_path: Path, prefix: str, *options: str) -> Rehearsed:
    """A fresh project rehearsed under compose with ``options``, every check passed (a project rendered without
    an optional service skips its checks)."""
    project = render_project(tmp_path / "demo-auth")
    name, report_path = unique(prefix), tmp_path / "report.json"
    run = harness(
        project,
        "rehearse",
        *("--provider", "compose", "--option", f"project_name={name}", *options),
        *("-n", "2", "--report", str(report_path)),
        timeout=1800,
    )
    assert run.returncode == 0, describe(run)
    report = json.loads(report_path.read_text())
    assert report["status"] == "passed"
    assert report["checks"] and not_passed(report["checks"]) == []
    return name, run, report


def test_compose_rehearsal_passes_every_check_and_leaves_nothing(tmp_path: Path) -> None:
    name, run, report = rehearsed(tmp_path, "e2e")
    assert {c["name"]: c["status"] for c in report["checks"]}[REDIS_SIGNAL] == "passed"
    services = {s["name"]: s for s in report["services"]}
    for container in ("postgres", "redis", "vault", "mail"):
        assert services[container]["mode"] == "compose", services[container]
    stand_ins = [s for s in report["services"] if "stand-in image" in s["implementation"]]
    assert all(s["stand_in"] for s in stand_ins)
    assert not stand_ins or "stand-in images for" in run.stderr  # said at `up`, not only in the report
    assert leftovers(project_label(name)) == {}


def test_the_app_in_containers_passes_every_check_and_leaves_nothing(tmp_path: Path) -> None:
    """`--option app=true`: backend and frontend built from the project's Dockerfile and run in the stack; the same
    checks pass against them, the per-client ones through the ingress (harness.deploy.ingress)."""
    name, _, report = rehearsed(tmp_path, "app", "--option", "app=true")
    services = {s["name"]: s for s in report["services"]}
    for app in ("backend", "frontend"):
        assert services[app]["implementation"].endswith("(built from Dockerfile)"), services[app]
    steps = {step["name"]: step["detail"] for step in report["steps"]}
    assert steps["deploy_backend"].startswith("container behind the ingress")
    assert steps["deploy_frontend"].startswith("container at")
    assert leftovers(project_label(name)) == {}


def test_two_projects_run_at_once_without_colliding(tmp_path: Path) -> None:
    projects = [render_project(tmp_path / f"p{index}" / "demo-auth") for index in (1, 2)]
    names = [unique("pair") for _ in projects]
    try:
        with ThreadPoolExecutor(2) as pool:
            ups = list(
                pool.map(
                    lambda pn: harness(
                        pn[0], "up", "--provider", "compose", "--json", "--option", f"project_name={pn[1]}", *NO_AWS
                    ),
                    zip(projects, names, strict=True),
                )
            )
        for up in ups:
            assert up.returncode == 0, describe(up)
        urls = [json.loads(up.stdout)["redis_url"] for up in ups]
        assert urls[0] != urls[1]
    finally:
        for project in projects:
            harness(project, "down")
    for name in names:
        assert leftovers(project_label(name)) == {}


def test_a_service_that_never_turns_healthy_is_named_with_its_logs(tmp_path: Path) -> None:
    """The broken redis stand-in's healthcheck always fails: `up` names redis, shows its log and the command,
    and removes everything it started."""
    project = render_project(tmp_path / "demo-auth")
    compose = project / "compose.yaml"
    text = compose.read_text()
    assert "image: redis:7.4.11-alpine" in text
    compose.write_text(
        text.replace("image: redis:7.4.11-alpine", "image: kernia-stand-in/redis:7.4.11-alpine-unhealthy")
    )
    name = unique("sick")
    up = harness(
        project,
        "up",
        "--provider",
        "compose",
        "--option",
        f"project_name={name}",
        "--option",
        "wait_timeout=150",
        *NO_AWS,
    )
    assert up.returncode != 0, describe(up)
    output = up.stdout + up.stderr
    assert "did not become ready" in output and "- redis (" in output and "unhealthy" in output, output
    assert "command: " in output and " up --detach --wait" in output
    assert leftovers(project_label(name)) == {}
    assert not StackState(project).run_dir.exists()


def test_ctrl_c_during_up_wait_leaves_nothing(tmp_path: Path) -> None:
    project = render_project(tmp_path / "demo-auth")
    name = unique("intr")
    process = subprocess.Popen(
        harness_argv(project, "up", "--provider", "compose", "--option", f"project_name={name}", *NO_AWS),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not leftovers(project_label(name)).get("containers"):
            time.sleep(0.5)
        assert leftovers(project_label(name)).get("containers"), "no container started within 120 s"
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=180)
        assert process.returncode != 0 and "harness: interrupted" in output, output
        assert leftovers(project_label(name)) == {}, output
    finally:  # a failed check must not leave its stack running for the rest of the suite
        if process.poll() is None:
            process.kill()
            process.communicate()
        if StackState(project).exists():
            harness(project, "down")
