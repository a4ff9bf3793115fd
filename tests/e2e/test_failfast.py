"""End to end on native services: a service that dies mid-rehearsal is named and stops the run; a 5xx answer's
report carries the backend's log lines for its request id."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import psutil
import pytest

from harness import stack
from harness.app import start_backend
from harness.process import stop_record
from harness.project import Project
from harness.state import StackState
from tests.helpers.broken_route import BROKEN, SLUG_VARIABLE
from tests.helpers.cli import describe, harness
from tests.helpers.junit import junit_outcomes
from tests.helpers.kill_service import KILLED, VARIABLE
from tests.helpers.render import render_project

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("native-stack")]
HELPERS = Path(__file__).resolve().parent.parent / "helpers"


def assert_nothing_left(project: Path) -> None:
    state = StackState(project)
    assert not state.exists() and not state.run_dir.exists(), "the stack record or run directory survived"
    survivors = [
        p.info
        for p in psutil.process_iter(["pid", "cmdline"])
        if any(str(path) in " ".join(p.info["cmdline"] or []) for path in (project, state.run_dir))
    ]
    assert not survivors, f"processes survived: {survivors}"


def with_helpers() -> str:
    return os.pathsep.join(filter(None, [str(HELPERS), os.environ.get("PYTHONPATH")]))


@pytest.mark.parametrize("workers", ["0", "2"], ids=["in-process", "xdist"])
def test_postgres_killed_mid_rehearsal_is_named_and_ends_the_run(tmp_path: Path, workers: str) -> None:
    """SIGKILL of the postmaster after the tenth check (tests/helpers/kill_service.py): within 30 s the run ends
    non-zero naming PostgreSQL and how it ended, in the terminal, the JSON report and JUnit, and leaves nothing."""
    project = render_project(tmp_path / "killed")
    report_path, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    args = ("rehearse", "--option", "aws=moto", "-n", workers, "--report", str(report_path), "--junitxml", str(junit))
    # The signals phase included: it polls the service watch while it waits, so it stops within a poll too.
    env = {VARIABLE: "postgres:10", "PYTHONPATH": with_helpers()}
    result = harness(project, *args, "--", "-p", "kill_service", env=env)
    ended = time.time()
    terminal = result.stdout + result.stderr
    killed = re.search(rf"{KILLED} postgres pid \d+ at ([\d.]+)", terminal)
    assert killed, "postgres was never killed:\n" + describe(result)
    assert result.returncode != 0, describe(result)
    assert ended - float(killed.group(1)) < 30, f"the run went on {ended - float(killed.group(1)):.0f} s after the kill"
    assert "postgres killed by signal SIGKILL during the run\nlast log lines" in terminal, describe(result)
    assert "stopping the run" in terminal, "no notice when the service ended:\n" + describe(result)

    report = json.loads(report_path.read_text())
    assert report["status"] == "failed"
    [stop] = [c for c in report["checks"] if c["name"] == "service_ended[postgres]"]
    assert stop["status"] == "failed" and stop["detail"].startswith("postgres killed by signal SIGKILL"), stop
    assert "last log lines" in stop["detail"] and "postgres.log" in stop["detail"], stop
    assert junit_outcomes(junit).get("service_ended[postgres]") == "failed"
    assert "postgres killed by signal SIGKILL" in junit.read_text()
    assert_nothing_left(project)


def test_postgres_killed_during_deployment_is_named_and_ends_the_run(tmp_path: Path) -> None:
    """SIGKILL of the postmaster as soon as the stack is up: the deployment is cut short, the run ends non-zero
    naming PostgreSQL, runs no check against the dead stack, and leaves nothing."""
    project = render_project(tmp_path / "killed-early")
    report_path = tmp_path / "report.json"
    env = {VARIABLE: "postgres:0", "PYTHONPATH": with_helpers()}
    result = harness(
        project, "rehearse", "--option", "aws=moto", "--report", str(report_path), "--", "-p", "kill_service", env=env
    )
    terminal = result.stdout + result.stderr
    assert re.search(rf"{KILLED} postgres", terminal), "postgres was never killed:\n" + describe(result)
    assert result.returncode != 0, describe(result)
    assert "postgres killed by signal SIGKILL during the run" in terminal, describe(result)
    report = json.loads(report_path.read_text())
    assert report["status"] == "failed"
    assert [c["name"] for c in report["checks"] if c["status"] != "not run"] == ["service_ended[postgres]"], report
    assert_nothing_left(project)


def test_a_5xx_answer_carries_the_backends_log_lines(tmp_path: Path) -> None:
    """Asking for a verification mail from a backend whose mail delivery raises (tests/helpers/broken_route.py)
    answers 500: the failing check's detail quotes the backend's log record for that request id, traceback
    included."""
    project = render_project(tmp_path / "broken")
    up = harness(project, "up", "--option", "aws=moto")
    assert up.returncode == 0, describe(up)
    try:
        deploy = harness(project, "deploy")
        assert deploy.returncode == 0, describe(deploy)
        ctx = stack.load(Project.load(project)).context()
        extra = {SLUG_VARIABLE: ctx.project.slug, "PYTHONPATH": str(HELPERS)}
        record, url = start_backend(ctx, name="broken", app="broken_route:create_app", factory=True, extra_env=extra)
        try:
            report_path = tmp_path / "report.json"
            check = "test_sign_up_sends_verification_link_under_auth_base_url"
            args = ("--report", str(report_path), "--", "-k", check, "--harness-target", url)
            result = harness(project, "smoke", *args)
        finally:
            stop_record(record)
    finally:
        down = harness(project, "down")
        assert down.returncode == 0, describe(down)
    assert result.returncode != 0, describe(result)
    [failed] = [c for c in json.loads(report_path.read_text())["checks"] if c["name"] == check]
    detail = failed["detail"]
    request_id = re.search(r"POST /api/auth/send-verification-email answered 500 \(request id (\w+)\)", detail)
    assert request_id, detail
    assert f"unhandled error in POST /send-verification-email (request_id={request_id.group(1)})" in detail, detail
    assert f"RuntimeError: {BROKEN}" in detail, detail
