"""The browser checks' support: finding Chromium, "not run" said loudly, evidence per step, the report's listing."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest
from rich.console import Console

from harness import browser, cli
from harness.plugin import CheckRecorder
from harness.project import Project
from harness.report import Outcome, Report
from tests.helpers import needs
from tests.helpers.records import write_answers

NOT_RUN = f"not run: no Chromium found (install it: {browser.INSTALL_COMMAND})"


def fake_executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_an_explicit_browser_is_used_and_a_missing_one_is_named(tmp_path: Path) -> None:
    chrome = fake_executable(tmp_path / "chrome")
    assert browser.find_chromium({browser.CHROMIUM_ENV: str(chrome)}) == str(chrome)
    missing = {browser.CHROMIUM_ENV: str(tmp_path / "nowhere")}
    assert browser.find_chromium(missing) is None
    reason = browser.missing_browser_reason(missing)
    assert reason is not None and reason.startswith("not run: no Chromium found")
    assert browser.INSTALL_COMMAND in reason and str(tmp_path / "nowhere") in reason


@pytest.mark.parametrize(("value", "required"), [("", False), ("0", False), ("1", True), ("true", True)])
def test_require_browser_from_the_environment(value: str, required: bool) -> None:
    assert browser.require_browser_default({browser.REQUIRE_ENV: value}) is required


def test_require_browser_reaches_pytest(tmp_path: Path) -> None:
    project = Project.load(write_answers(tmp_path / "p"))
    for command in (["smoke"], ["rehearse"]):
        plain = cli.pytest_args(project, cli.build_parser().parse_args(command), provider=None)
        required = cli.pytest_args(
            project, cli.build_parser().parse_args([*command, "--require-browser"]), provider=None
        )
        assert "--harness-require-browser" not in plain and "--harness-require-browser" in required


def skipped_report(nodeid: str, reason: str) -> pytest.TestReport:
    return pytest.TestReport(
        nodeid, ("f.py", 1, nodeid), {}, "skipped", ("f.py", 1, f"Skipped: {reason}"), "setup", [], 0.0
    )


def test_checks_without_a_browser_are_not_run_loudly_and_do_not_pass_silently() -> None:
    report = Report(provider="native", project="/p")
    report.steps = [Outcome("provision", "passed", 0.1, "ok")]
    recorder = CheckRecorder(report)
    recorder.pytest_runtest_logreport(skipped_report("suite/test_browser.py::test_browser_a@browser", NOT_RUN))
    recorder.pytest_runtest_logreport(skipped_report("suite/test_browser.py::test_browser_b@browser", NOT_RUN))
    recorder.pytest_runtest_logreport(skipped_report("suite/test_x.py::test_plain", "no SSO here"))
    assert [c.status for c in report.checks] == ["not run", "not run", "skipped"]
    assert report.checks[0].detail == NOT_RUN and report.warnings == [NOT_RUN]
    out = io.StringIO()
    report.render(Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert f"WARNING: 2 check(s) {NOT_RUN}" in text
    assert "with 2 check(s) NOT RUN" in text
    assert report.to_dict()["warnings"] == [NOT_RUN]


def test_evidence_is_listed_in_the_report_relative_to_it(tmp_path: Path) -> None:
    report = Report(provider="native", project="/p")
    report.checks = [Outcome("test_browser_a", "failed", 1.0, "boom")]
    shot = tmp_path / "report-browser" / "test_browser_a" / "01-open-FAILED.png"
    report.add_evidence(
        [
            {"check": "test_browser_a", "step": "open", "kind": "screenshot", "path": str(shot)},
            {"check": "test_browser_a", "step": "open", "kind": "console", "path": str(shot.with_suffix(".log"))},
        ]
    )
    report.write(tmp_path / "report.json")
    listed = json.loads((tmp_path / "report.json").read_text())["evidence"]
    assert listed[0]["path"] == "report-browser/test_browser_a/01-open-FAILED.png"
    out = io.StringIO()
    report.render(Console(file=out, width=200, color_system=None))
    assert "1 screenshots under" in out.getvalue() and "01-open-FAILED.log" in out.getvalue()


@pytest.fixture(scope="module")
def chromium() -> object:
    needs.chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=browser.find_chromium(), args=list(browser.LAUNCH_FLAGS))
        yield launched
        launched.close()


def test_a_failing_step_leaves_screenshot_console_and_network(chromium, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with browser.ForeignSite() as site:
        context = chromium.new_context()
        try:
            evidence = browser.Evidence(tmp_path / "check", "test_demo", context)
            evidence.page = context.new_page()
            with evidence.step("open a page"):
                evidence.page.goto(site.url)
            with pytest.raises(AssertionError, match="the heading"), evidence.step("a step that fails"):
                evidence.page.evaluate("console.error('something broke')")
                raise AssertionError("the heading is missing")
        finally:
            context.close()
    kinds = [(item["step"], item["kind"]) for item in evidence.files]
    assert kinds == [
        ("open a page", "screenshot"),
        ("a step that fails", "screenshot"),
        ("a step that fails", "console"),
        ("a step that fails", "network"),
        ("a step that fails", "error"),
    ]
    files = {item["kind"]: Path(item["path"]) for item in evidence.files if item["step"] == "a step that fails"}
    assert files["screenshot"].read_bytes().startswith(b"\x89PNG") and "FAILED" in files["screenshot"].name
    assert "something broke" in files["console"].read_text()
    assert "the heading is missing" in files["error"].read_text()
    assert evidence.errors(browser.origin_of(site.url)) == ["error: something broke"]
    assert site.url in " ".join(evidence.network)
    assert os.path.getsize(evidence.files[0]["path"]) > 0
