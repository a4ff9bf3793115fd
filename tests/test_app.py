"""harness.app: the backend's environment names every address the rendered backend reads."""

from __future__ import annotations

from pathlib import Path

from harness.app import backend_env, logs_dir, request_log
from harness.deploy.context import Context, Deployment
from harness.project import Project
from tests.helpers.records import ENDPOINTS, write_answers


def test_backend_env_names_every_setting_the_backend_reads(tmp_path: Path) -> None:
    project = Project.load(write_answers(tmp_path / "p"))
    ctx = Context(project, ENDPOINTS, tmp_path, deployment=Deployment(frontend_url="http://127.0.0.1:3000"))
    env = backend_env(ctx, port=8000, database_url="postgresql://app@127.0.0.1/demo_auth", vault_token="t")
    assert {"SMTP_HOST", "SMTP_PORT", "KERNIA_BASE_URL", "FRONTEND_URL", "SSO_DNS_RESOLVER"} <= set(env)
    assert (env["SMTP_HOST"], env["SMTP_PORT"]) == (ENDPOINTS.smtp_host, str(ENDPOINTS.smtp_port))
    assert env["KERNIA_BASE_URL"] == "http://127.0.0.1:8000/api/auth"
    assert not [key for key in env if "LOCALHOST" in key]


def test_request_log_quotes_each_record_naming_the_request_with_its_traceback(tmp_path: Path) -> None:
    logs = logs_dir(tmp_path)
    logs.mkdir()
    (logs / "backend.log").write_text(
        "INFO:     Started server process [1]\n"
        "2026-12-02 09:43:57,540 INFO demo_auth.main started\n"
        "2026-12-02 09:43:57,546 ERROR demo_auth.errors unhandled error in POST /x (request_id=abc123)\n"
        "Traceback (most recent call last):\n"
        '  File "errors.py", line 51, in wrapped\n'
        "RuntimeError: boom\n"
        "INFO:     127.0.0.1:5 - other request\n"
        "2026-12-02 09:43:58,000 ERROR demo_auth.errors unhandled error in POST /y (request_id=zzz999)\n"
    )
    (logs / "postgres.log").write_text("2026-12-02 09:43:57.546 UTC [9] LOG:  nothing about it\n")
    assert request_log(tmp_path, "abc123").splitlines() == [
        "backend.log: 2026-12-02 09:43:57,546 ERROR demo_auth.errors unhandled error in POST /x (request_id=abc123)",
        "backend.log: Traceback (most recent call last):",
        'backend.log:   File "errors.py", line 51, in wrapped',
        "backend.log: RuntimeError: boom",
    ]
    assert request_log(tmp_path, "missing") == ""
