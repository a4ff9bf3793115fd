"""Report: the JSON shape of a rehearsal's report."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.records import ENDPOINTS


def test_report_json_shape(tmp_path: Path) -> None:
    from harness.report import Outcome, Report

    report = Report(provider="native", project="/p")
    report.set_endpoints(ENDPOINTS)
    report.steps = [Outcome("provision", "passed", 0.1, "ok")]
    report.checks = [Outcome("test_login", "passed", 0.2)]
    path = tmp_path / "r.json"
    report.write(path)
    data = json.loads(path.read_text())
    assert data["status"] == "passed"
    assert data["services"][0]["summary"] == "vault: OpenBao 2.7.2, native"
    assert data["services"][0]["running_version"] is None  # nothing answers at the record's address
    assert data["services"][0]["version_summary"].startswith("vault: running version not read (could not ask it")
    report.checks.append(Outcome("test_logout", "failed", 0.1, "boom"))
    assert report.status == "failed"


def test_an_interrupted_run_never_reads_as_passed() -> None:
    from rich.console import Console

    from harness.report import Outcome, Report

    report = Report(provider="native", project="/p", steps=[Outcome("provision", "passed", 0.1)])
    report.interrupted = "SIGINT"  # Ctrl-C before the first check: every step had passed
    assert report.status == "interrupted" and report.to_dict()["interrupted"] == "SIGINT"
    console = Console(record=True, width=200)
    report.render(console)
    last_line = console.export_text().splitlines()[-1]
    assert last_line.startswith("rehearsal interrupted in") and last_line.endswith("by SIGINT"), last_line
