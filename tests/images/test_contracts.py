"""The upstream contracts the stack relies on, checked against the stand-in images on the real engine."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
import redis
import yaml

from tests.helpers.engine import Engine, docker_cli, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("images")]

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = {18: "kernia-stand-in/postgres:18.6-alpine", 17: "kernia-stand-in/postgres:17.12-alpine"}
PG_ENV = {"POSTGRES_USER": "kernia", "POSTGRES_PASSWORD": "images-test-pw", "POSTGRES_DB": "demo"}
VOLUME_AT = {18: "/var/lib/postgresql", 17: "/var/lib/postgresql/data"}


def tcp_ready(container: str) -> bool:
    """The compose healthcheck's command, run in the container."""
    check = 'pg_isready -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'
    return docker_cli("exec", container, "sh", "-c", check, check=False).returncode == 0


def start_postgres(eng: Engine, major: int, volume: str, env: dict[str, str] = PG_ENV) -> tuple[str, int]:
    name = eng.run(POSTGRES[major], env=env, options=("-p", "127.0.0.1::5432", "-v", f"{volume}:{VOLUME_AT[major]}"))
    wait_until(lambda: tcp_ready(name), f"{POSTGRES[major]} ready over TCP")
    return name, eng.port(name, 5432)


def url(port: int, user: str, password: str, db: str) -> str:
    return f"postgresql://{user}:{password}@127.0.0.1:{port}/{db}"


@pytest.mark.parametrize("major", [18, 17])
def test_postgres_db_is_owned_by_postgres_user_so_the_app_role_needs_alter_owner(
    eng: Engine, stand_ins: None, major: int
) -> None:
    """Desk-check finding #1 reproduces: the image creates POSTGRES_DB owned by POSTGRES_USER, so an app role
    cannot CREATE TABLE in public (PG >= 15) until ALTER DATABASE ... OWNER hands it the database."""
    container, port = start_postgres(eng, major, eng.volume())
    admin = url(port, "kernia", PG_ENV["POSTGRES_PASSWORD"], "demo")
    with psycopg.connect(admin, autocommit=True) as conn:
        owner, version = conn.execute(
            "SELECT pg_get_userbyid(datdba)::text, current_setting('server_version_num')::int / 10000"
            " FROM pg_database WHERE datname = 'demo'"
        ).fetchone()
        assert (owner, version) == ("kernia", major)
        conn.execute("CREATE ROLE demo_app LOGIN PASSWORD 'app-pw'")
    app = url(port, "demo_app", "app-pw", "demo")
    with psycopg.connect(app, autocommit=True) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("CREATE TABLE t (id int)")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("ALTER DATABASE demo OWNER TO demo_app")
    with psycopg.connect(app, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int)")
    # the server runs as postgres (uid 70, as alpine), and the tools the harness execs are on PATH
    assert "Uid:\t70\t" in docker_cli("exec", container, "cat", "/proc/1/status").stdout
    tools = docker_cli(
        "exec", container, "sh", "-c", "for t in psql pg_dump pg_restore pg_isready; do command -v $t; done"
    ).stdout.split()
    assert len(tools) == 4


def test_postgres_second_start_on_the_volume_does_not_init_again(eng: Engine, stand_ins: None) -> None:
    volume = eng.volume()
    first, port = start_postgres(eng, 18, volume)
    with psycopg.connect(url(port, "kernia", PG_ENV["POSTGRES_PASSWORD"], "demo"), autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (id int)")
    docker_cli("rm", "-f", first)
    second, port = start_postgres(eng, 18, volume, env={**PG_ENV, "POSTGRES_PASSWORD": "other"})
    logs = docker_cli("logs", second).stdout + docker_cli("logs", second).stderr
    assert "Skipping initialization" in logs
    # the first start's password and data are kept: the new POSTGRES_PASSWORD is ignored, as upstream
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url(port, "kernia", "other", "demo")).close()
    with psycopg.connect(url(port, "kernia", PG_ENV["POSTGRES_PASSWORD"], "demo")) as conn:
        assert conn.execute("SELECT to_regclass('kept') IS NOT NULL").fetchone() == (True,)


def vault_seed_command(slug: str) -> str:
    """vault-seed's shell command as compose runs it (project slug rendered, `$$` unescaped)."""
    text = (ROOT / "compose" / "vault-seed.yaml").read_text().replace("{{ project_slug }}", slug)
    return yaml.safe_load(text)["vault-seed"]["command"][0].replace("$$", "$")


def test_vault_status_and_vault_seed_commands(eng: Engine, stand_ins: None) -> None:
    network, ops = eng.network(), eng.volume()
    env = {
        "VAULT_DEV_ROOT_TOKEN_ID": "images-test-token",
        "VAULT_DEV_LISTEN_ADDRESS": "0.0.0.0:8200",
        "SKIP_SETCAP": "1",
    }
    vault = eng.run("kernia-stand-in/hashicorp/vault:1.21.4", "server", "-dev", env=env, options=("--network", network))
    status = ("exec", vault, "vault", "status", "-address=http://127.0.0.1:8200")
    wait_until(lambda: docker_cli(*status, check=False).returncode == 0, "vault status")
    seed = (
        "--network", network, "-v", f"{ops}:/run/ops", "-e", f"VAULT_ADDR=http://{vault}:8200",
        "-e", "VAULT_TOKEN=images-test-token", "--entrypoint", "/bin/sh",
    )  # fmt: skip
    reader = ("-v", f"{ops}:/run/ops", "--entrypoint", "cat", "kernia-stand-in/hashicorp/vault:1.21.4")
    runs = []
    for _ in range(2):  # the second run finds the document and keeps it
        result = eng.oneshot("kernia-stand-in/hashicorp/vault:1.21.4", "-c", vault_seed_command("demo"), options=seed)
        assert result.returncode == 0, result.stderr
        runs.append(eng.oneshot(*reader[-1:], "/run/ops/token", options=reader[:-1]).stdout)
    assert runs[0] == runs[1] and len(runs[0]) > 20
    read = ("exec", "-e", "VAULT_TOKEN=images-test-token", vault, "vault", "kv", "get", "-format=json")
    document = json.loads(docker_cli(*read, "-address=http://127.0.0.1:8200", "secret/demo/backend").stdout)
    assert set(document["data"]["data"]) == {"kernia_secret", "stripe_secret_key", "stripe_webhook_secret", "ops_token"}


def test_unhealthy_variant_runs_redis_but_never_turns_healthy(eng: Engine, stand_ins: None) -> None:
    """The negative control: its server answers, yet any redis-cli healthcheck fails (and the image's own)."""
    name = eng.run("kernia-stand-in/redis:7.4.11-alpine-unhealthy", "redis-server", options=("-p", "127.0.0.1::6379"))
    health = ("inspect", "--format", "{{.State.Health.Status}}", name)
    wait_until(lambda: docker_cli(*health).stdout.strip() == "unhealthy", "the unhealthy variant to be unhealthy")
    check = docker_cli("exec", name, "sh", "-c", "redis-cli -h 127.0.0.1 ping | grep -q PONG", check=False)
    assert check.returncode != 0
    assert redis.Redis(port=eng.port(name, 6379)).ping()


def test_python_stand_in_installs_offline_and_has_the_slim_tools(eng: Engine, stand_ins: None) -> None:
    """`pip install` resolves from the wheelhouse only (no network in the container), builds included."""
    script = (  # fmt: skip
        "set -e; groupadd --system t && useradd --system --gid t t; "
        "python -m venv /tmp/v && /tmp/v/bin/pip install --quiet hatchling httpx; /tmp/v/bin/python -c 'import httpx'; "
        "python -c 'import ssl, sqlite3, ctypes, lzma, bz2, readline, uuid; print(\"ok\")'"
    )
    result = eng.oneshot("kernia-stand-in/python:3.12-slim", "sh", "-c", script, options=("--network", "none"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")
