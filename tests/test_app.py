"""harness.app: the backend's environment names every address the rendered backend reads."""

from __future__ import annotations

from pathlib import Path

from harness.app import backend_env
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
