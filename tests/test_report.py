"""Report: the JSON shape of a rehearsal's report."""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from pathlib import Path

import pytest

from tests.helpers.records import ENDPOINTS


def test_report_json_shape(tmp_path: Path) -> None:
    from harness.report import Outcome, Report

    report = Report(provider="native", project="/p")
    with socket.socket() as bound:  # bound, never listening: a connection to it is refused on any machine
        bound.bind(("127.0.0.1", 0))
        report.set_endpoints(replace(ENDPOINTS, vault_addr=f"http://127.0.0.1:{bound.getsockname()[1]}"))
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


def test_a_check_whose_clean_up_fails_is_an_error_in_the_report(tmp_path: Path) -> None:
    """pytest counts a fixture that raises in its teardown as an error; the report must not read "passed"."""
    from harness.plugin import CheckRecorder
    from harness.report import Report

    (tmp_path / "test_checks.py").write_text(
        "import pytest\n\n"
        "@pytest.fixture\n"
        "def temporary_user():\n"
        "    yield\n"
        "    raise RuntimeError('could not delete the temporary user')\n\n"
        "def test_uses_a_temporary_user(temporary_user): pass\n\n"
        "def test_plain(): pass\n"
    )
    report = Report(provider="native", project="/p")
    args = [str(tmp_path), "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path)]
    assert pytest.main(args, plugins=[CheckRecorder(report)]) == pytest.ExitCode.TESTS_FAILED
    rows = {c.name: c for c in report.checks}
    assert rows["test_plain"].status == "passed"
    assert rows["test_uses_a_temporary_user"].status == "error"
    assert "teardown: RuntimeError: could not delete the temporary user" in rows["test_uses_a_temporary_user"].detail
    assert report.status == "failed"
