"""Endpoint records, provider selection, the external provider, stack state and CLI argument construction."""

from __future__ import annotations

import argparse
import json
import stat
from pathlib import Path

import pytest

from harness import cli
from harness.endpoints import Endpoints, ServiceInfo, redact_url
from harness.project import Project, ProjectError
from harness.providers import ProviderError, get_provider, provider_class
from harness.providers.base import StackHandle
from harness.providers.external import ENV_VARS, ExternalProvider, endpoints_from_env
from harness.state import StackState

ENDPOINTS = Endpoints(
    provider="native",
    database_url="postgresql://postgres:pw-123@127.0.0.1:5432/postgres",
    redis_url="redis://:redis-pw@127.0.0.1:6379/0",
    smtp_host="127.0.0.1",
    smtp_port=1025,
    mailpit_api_url="http://127.0.0.1:8025",
    aws_endpoint_url="http://127.0.0.1:4566",
    stripe_api_base="http://127.0.0.1:12111",
    vault_addr="http://127.0.0.1:8200",
    vault_token="root-token-value",
    oidc_issuer="http://127.0.0.1:9000",
    services=(ServiceInfo("vault", "OpenBao", "2.7.2", "native"),),
)


def write_answers(root: Path, **answers: object) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    data = {"project_slug": "demo_auth", "auth_path": "/api/auth", "postgres_major": 18, **answers}
    (root / ".copier-answers.yml").write_text("\n".join(f"{k}: {v}" for k, v in data.items()) + "\n")
    return root


def test_endpoints_round_trip_and_redaction() -> None:
    assert Endpoints.from_dict(ENDPOINTS.to_dict(reveal=True)) == ENDPOINTS
    shown = ENDPOINTS.to_json()
    for secret in ("pw-123", "redis-pw", "root-token-value"):
        assert secret not in shown
    assert "postgresql://postgres:***@127.0.0.1:5432/postgres" in shown
    assert ENDPOINTS.services[0].describe() == "vault: OpenBao 2.7.2, native"


def test_redact_url_leaves_passwordless_urls_alone() -> None:
    assert redact_url("http://127.0.0.1:8025") == "http://127.0.0.1:8025"


def test_unknown_provider_names_the_choices() -> None:
    with pytest.raises(ProviderError, match="unknown provider 'kubernetes': choose one of compose, external"):
        provider_class("kubernetes")


def test_every_registered_provider_loads(tmp_path: Path) -> None:
    for name in ("native", "compose", "external", "testcontainers"):
        assert get_provider(name, tmp_path).name == name


def test_external_provider_reads_every_endpoint_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for field, var in ENV_VARS.items():
        monkeypatch.setenv(var, f"value-{field}")
    monkeypatch.setenv("HARNESS_SMTP_PORT", "2525")
    handle = ExternalProvider(tmp_path).up(tmp_path)
    endpoints = handle.endpoints
    assert endpoints.provider == "external" and handle.run_dir == tmp_path
    assert endpoints.smtp_port == 2525 and endpoints.vault_addr == "value-vault_addr"
    assert {s.mode for s in endpoints.services} == {"external"}


def test_external_provider_lists_every_missing_variable() -> None:
    with pytest.raises(ProviderError) as caught:
        endpoints_from_env({"HARNESS_DATABASE_URL": "postgresql://x"})
    message = str(caught.value)
    assert "HARNESS_REDIS_URL" in message and "HARNESS_VAULT_TOKEN" in message
    assert "HARNESS_DATABASE_URL" not in message and "HARNESS_OIDC_ISSUER" not in message


def test_external_provider_refuses_a_bad_port() -> None:
    env = {var: "x" for var in ENV_VARS.values()}
    with pytest.raises(ProviderError, match="HARNESS_SMTP_PORT must be a port number"):
        endpoints_from_env(env)


def test_project_load_explains_a_missing_answers_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"has no \.copier-answers\.yml"):
        Project.load(tmp_path)


def test_state_is_private_and_per_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERNIA_HARNESS_RUNTIME", str(tmp_path / "runtime"))
    one = StackState(write_answers(tmp_path / "one"))
    two = StackState(write_answers(tmp_path / "two"))
    assert one.run_dir != two.run_dir
    one.create_run_dir()
    handle = StackHandle("native", ENDPOINTS, one.run_dir, {"processes": []})
    one.save(handle, {"backend_url": "http://127.0.0.1:1"})
    assert stat.S_IMODE(one.path.stat().st_mode) == 0o600
    loaded, deployment = one.load()
    assert loaded.endpoints == ENDPOINTS and deployment == {"backend_url": "http://127.0.0.1:1"}
    assert not two.exists()
    one.remove()
    assert not one.run_dir.exists()


def test_down_with_nothing_running_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("KERNIA_HARNESS_RUNTIME", str(tmp_path / "runtime"))
    project = write_answers(tmp_path / "p")
    assert cli.main(["--project", str(project), "down"]) == 0
    assert "nothing is running" in capsys.readouterr().err


def test_smoke_without_a_stack_fails_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("KERNIA_HARNESS_RUNTIME", str(tmp_path / "runtime"))
    project = write_answers(tmp_path / "p")
    assert cli.main(["--project", str(project), "smoke"]) == 2
    assert "no stack is running" in capsys.readouterr().err


def test_unknown_provider_on_the_command_line_is_refused(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["up", "--provider", "kubernetes"])
    assert "invalid choice: 'kubernetes'" in capsys.readouterr().err


def test_rehearse_pytest_arguments(tmp_path: Path) -> None:
    project = Project.load(write_answers(tmp_path / "p"))
    args = cli.build_parser().parse_args(
        ["rehearse", "--provider", "native", "--report", "r.json", "-n", "2", "--option", "aws=moto", "--", "-x"]
    )
    argv = cli.pytest_args(project, args, provider="native")
    assert argv[0] == str(cli.SUITE_DIR)
    joined = " ".join(argv)
    assert f"--harness-project {project.root}" in joined
    assert "--harness-provider native" in joined and "--harness-running" not in joined
    assert f"--harness-report {Path('r.json').resolve()}" in joined
    assert "-n 2 --dist loadgroup" in joined
    assert "--harness-option aws=moto" in joined
    assert argv[-1] == "-x"


def test_smoke_pytest_arguments_use_the_running_stack(tmp_path: Path) -> None:
    project = Project.load(write_answers(tmp_path / "p"))
    args = cli.build_parser().parse_args(["smoke"])
    argv = cli.pytest_args(project, args, provider=None)
    assert "--harness-running" in argv and "--harness-provider" not in argv and "-n" not in argv


def test_report_json_shape(tmp_path: Path) -> None:
    from harness.report import CheckResult, Report

    report = Report(provider="native", project="/p")
    report.set_endpoints(ENDPOINTS)
    report.steps = [{"name": "provision", "status": "passed", "seconds": 0.1, "detail": "ok"}]
    report.checks = [CheckResult("test_login", "passed", 0.2)]
    path = tmp_path / "r.json"
    report.write(path)
    data = json.loads(path.read_text())
    assert data["status"] == "passed"
    assert data["services"][0]["summary"] == "vault: OpenBao 2.7.2, native"
    report.checks.append(CheckResult("test_logout", "failed", 0.1, "boom"))
    assert report.status == "failed"


def test_parse_options_refuses_malformed_pairs() -> None:
    from harness.plugin import parse_options

    assert parse_options(["aws=moto", "a=b=c"]) == {"aws": "moto", "a": "b=c"}
    with pytest.raises(pytest.UsageError, match="KEY=VALUE"):
        parse_options(["aws"])


def test_namespace_defaults() -> None:
    args = cli.build_parser().parse_args(["up"])
    assert isinstance(args, argparse.Namespace) and args.provider == "native" and not args.show_secrets


@pytest.mark.parametrize(
    ("argv", "provider", "marker"),
    [
        (["smoke"], None, "not recovery and not rotation"),
        (["rehearse"], "native", None),
        (["rehearse", "--recovery"], "native", "recovery or rotation"),
        (["rehearse", "--skip-recovery"], "native", "not recovery and not rotation"),
    ],
)
def test_phase_selection(tmp_path: Path, argv: list[str], provider: str | None, marker: str | None) -> None:
    project = Project.load(write_answers(tmp_path / "p"))
    built = cli.pytest_args(project, cli.build_parser().parse_args(argv), provider=provider)
    selected = built[built.index("-m") + 1] if "-m" in built else None
    assert selected == marker


def test_recovery_and_skip_recovery_exclude_each_other(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["rehearse", "--recovery", "--skip-recovery"])
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("nodeid", "name"),
    [
        ("test_a.py::test_login", "test_login"),
        ("test_a.py::test_login@recovery", "test_login"),
        ("test_a.py::test_sig[missing]@sso", "test_sig[missing]"),
        ("test_a.py::test_sig[a@b]", "test_sig[a@b]"),
    ],
)
def test_check_names_drop_the_xdist_group(nodeid: str, name: str) -> None:
    from harness.plugin import check_name

    assert check_name(nodeid) == name


def test_clients_of_different_xdist_workers_never_share_a_source_address(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.client import next_loopback_address

    seen = set()
    for worker in ("gw0", "gw1", "gw7"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        seen |= {next_loopback_address().split(".")[1] for _ in range(3)}
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    seen.add(next_loopback_address().split(".")[1])
    assert seen == {"2", "3", "9", "1"}
