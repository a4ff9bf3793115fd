"""ComposeProvider: endpoints from the real resolved model, the no-engine error, and a real up/down with Docker."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from harness.compose_cli import PORT_VARIABLES, ContainerStatus
from harness.endpoints import ServiceInfo
from harness.providers.base import ProviderError
from harness.providers.compose import ComposeProvider, endpoints_from_config, first_ended, select_services
from harness.services.catalog import report_name
from tests.helpers.compose_checks import resolved_model
from tests.helpers.engine import require_stand_ins
from tests.helpers.render import RenderFn

PORTS = {name: str(42000 + index) for index, name in enumerate(PORT_VARIABLES)}


@pytest.fixture
def model(render: RenderFn) -> dict[str, Any]:
    project = render(with_sms=True, observability="full")
    return resolved_model(project / "compose.yaml", env={**os.environ, **PORTS})


def test_select_services_leaves_the_app_to_the_harness(model: dict[str, Any]) -> None:
    infra = select_services(model)
    assert set(infra) == {"postgres", "redis", "mailpit", "localstack", "stripe-mock", "vault", "prometheus", "grafana"}
    # The one-shots (vault-seed, migrate) run as the backend's dependencies, not as waited-for services.
    assert model["services"]["migrate"]["restart"] == "no"


def test_endpoints_come_from_the_resolved_model(model: dict[str, Any]) -> None:
    services = select_services(model)
    endpoints = endpoints_from_config(model, services=services, oidc_issuer="http://127.0.0.1:39000")
    assert endpoints.provider == "compose"
    assert endpoints.database_url == (
        f"postgresql://kernia:dev-only-postgres-password@127.0.0.1:{PORTS['POSTGRES_PORT']}/postgres"
    )
    assert endpoints.redis_url == f"redis://127.0.0.1:{PORTS['REDIS_PORT']}/0"
    assert (endpoints.smtp_host, endpoints.smtp_port) == ("127.0.0.1", int(PORTS["MAILPIT_SMTP_PORT"]))
    assert endpoints.mailpit_api_url == f"http://127.0.0.1:{PORTS['MAILPIT_UI_PORT']}"
    assert endpoints.aws_endpoint_url == f"http://127.0.0.1:{PORTS['LOCALSTACK_PORT']}"
    assert endpoints.stripe_api_base == f"http://127.0.0.1:{PORTS['STRIPE_MOCK_PORT']}"
    assert endpoints.vault_addr == f"http://127.0.0.1:{PORTS['VAULT_PORT']}"
    assert endpoints.vault_token == "dev-only-root-token"
    assert endpoints.oidc_issuer == "http://127.0.0.1:39000"
    assert endpoints.backend_url is None and endpoints.frontend_url is None
    infos = {info.name: info for info in endpoints.services}
    assert infos["postgres"] == ServiceInfo("postgres", "postgres", "18.6-alpine", "compose")
    assert infos["vault"] == ServiceInfo("vault", "hashicorp/vault", "1.21.4", "compose")
    assert set(infos) == {report_name(name) for name in services}
    assert {"mail", "aws", "stripe"} <= set(infos)  # one name per service under every provider


def test_endpoints_with_the_app(model: dict[str, Any]) -> None:
    endpoints = endpoints_from_config(model, services=select_services(model), oidc_issuer="", app=True)
    assert endpoints.backend_url is None and endpoints.frontend_url is None  # until the deployment starts them
    backend = next(info for info in endpoints.services if info.name == "backend")
    assert backend.implementation == "demo_auth (built from Dockerfile)" and backend.version == "dev"


def test_credentials_from_env_reach_the_database_url(render: RenderFn) -> None:
    project = render()
    env = {**os.environ, "POSTGRES_USER": "dev user", "POSTGRES_PASSWORD": "p@ss/word"}
    model = resolved_model(project / "compose.yaml", env=env)
    endpoints = endpoints_from_config(model, services=select_services(model), oidc_issuer="")
    assert endpoints.database_url.startswith("postgresql://dev%20user:p%40ss%2Fword@127.0.0.1:5432/")


def test_missing_compose_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match=r"compose\.yaml does not exist"):
        ComposeProvider(tmp_path).up(tmp_path)


def test_bad_option_is_reported(render: RenderFn, tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="app='perhaps'"):
        ComposeProvider(render(), {"app": "perhaps"}).up(tmp_path)


def test_up_without_an_engine_says_what_to_do(
    render: RenderFn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")  # no engine answers there
    with pytest.raises(ProviderError) as raised:
        ComposeProvider(render()).up(tmp_path)
    message = str(raised.value)
    assert message.startswith("no Docker engine answers")
    assert "--provider native" in message


@pytest.mark.slow
def test_up_and_down_against_a_real_engine(render: RenderFn, tmp_path: Path) -> None:
    require_stand_ins()
    project = render()
    provider = ComposeProvider(project, {"profiles": "aws", "wait_timeout": "600"})
    handle = provider.up(tmp_path)
    try:
        endpoints = handle.endpoints
        for url in (f"{endpoints.mailpit_api_url}/readyz", f"{endpoints.vault_addr}/v1/sys/health"):
            with urllib.request.urlopen(url, timeout=10) as response:
                assert response.status == 200
        request = urllib.request.Request(
            f"{endpoints.stripe_api_base}/v1/customers", headers={"Authorization": "Bearer sk_test_devonly"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        with psycopg.connect(endpoints.database_url) as connection:
            assert connection.execute("select 1").fetchone() == (1,)
        assert redis.Redis.from_url(endpoints.redis_url).ping()
    finally:
        provider.down(handle)
    ps = subprocess.run(
        [*handle.state["executable"], "-p", handle.state["project_name"], "ps", "--all", "-q"],
        capture_output=True,
        text=True,
    )
    assert ps.stdout.strip() == ""


def test_first_ended_names_what_stopped_serving() -> None:
    def status(service: str, state: str, health: str = "", code: int = 0) -> ContainerStatus:
        return ContainerStatus(service, f"p-{service}-1", state, health, code)

    healthy = [status("vault-seed", "exited"), status("redis", "running", "healthy"), status("vault", "paused")]
    assert first_ended(healthy) is None  # a completed one-shot and a deliberately paused container still serve
    assert first_ended([*healthy, status("postgres", "exited", code=137)]).service == "postgres"
    assert first_ended([status("redis", "running", "unhealthy")]).service == "redis"


@pytest.mark.slow
def test_a_killed_container_is_named_by_the_watch(render: RenderFn, tmp_path: Path) -> None:
    """Kill the stack's Redis container: the watch target names it, how it ended and its last log lines."""
    require_stand_ins()
    provider = ComposeProvider(render(), {"profiles": "none"})
    handle = provider.up(tmp_path)
    try:
        (target,) = ComposeProvider.watch_targets(handle)
        assert target() is None
        subprocess.run(["docker", "kill", f"{handle.state['project_name']}-redis-1"], check=True, capture_output=True)
        deadline = time.monotonic() + 10
        while (ended := target()) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ended is not None, "the watch did not notice the killed container within 10 s"
        assert ended.service == "redis" and "exit code 137" in ended.how, ended
        assert " logs --no-color --tail 50 redis" in ended.log_path
    finally:
        provider.down(handle)


def test_a_hung_engine_command_fails_naming_it(tmp_path: Path) -> None:
    """`harness down` must not hang on an engine that stopped answering: the command is named, with the fix."""
    with pytest.raises(ProviderError, match=r"`sleep 30` did not finish within 0 s: is the Docker engine answering"):
        ComposeProvider(tmp_path)._run(["sleep", "30"], {}, timeout=0.2)
