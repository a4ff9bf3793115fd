"""The rendered compose.yaml and .env.example, checked with the real Compose v2 parser and the spec schema.

No Docker engine is needed: `docker-compose config` resolves and validates the model without one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.compose_cli import MIN_COMPOSE, MIN_ENGINE_API, PORT_VARIABLES
from tests.helpers.compose_checks import compose_config, resolved_model, schema_check
from tests.helpers.render import REPO_ROOT, render_project

# Exact tags from shared/reference/images.md; a change of tag must be a deliberate change of this table too.
PINNED = {
    "redis": "redis:7.4.11-alpine",
    "mailpit": "axllent/mailpit:v1.31.1",
    "localstack": "localstack/localstack:4.14.0",
    "stripe-mock": "stripe/stripe-mock:v0.197.0",
    "vault": "hashicorp/vault:1.21.4",
    "prometheus": "prom/prometheus:v3.14.0",
    "grafana": "grafana/grafana:13.2.0",
}
POSTGRES = {
    17: ("postgres:17.12-alpine", "/var/lib/postgresql/data"),
    18: ("postgres:18.6-alpine", "/var/lib/postgresql"),
}
APP = ("migrate", "backend", "frontend")  # built from the project's Dockerfile
ONE_SHOTS = ("vault-seed", "migrate")
ALL_ON = {"with_sms": True, "with_object_storage": True, "with_queue": True, "observability": "full"}

VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "sms": {"with_sms": True},
    "object-storage": {"with_object_storage": True},
    "queue": {"with_queue": True},
    "observability-full": {"observability": "full"},
    "observability-none": {"observability": "none"},
    "postgres-17": {"postgres_major": 17},
    "all-on": ALL_ON,
}


@pytest.fixture(scope="module", params=list(VARIANTS), ids=list(VARIANTS))
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    answers = VARIANTS[request.param]
    return render_project(tmp_path_factory.mktemp(request.param), **answers), answers


@pytest.fixture(scope="module")
def model(project: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    return resolved_model(project[0] / "compose.yaml")


def raw_services(project_dir: Path) -> dict[str, Any]:
    return yaml.safe_load((project_dir / "compose.yaml").read_text())["services"]


def aws_services(answers: dict[str, Any]) -> list[str]:
    wanted = {"with_sms": "sns", "with_object_storage": "s3", "with_queue": "sqs"}
    return [service for answer, service in wanted.items() if answers.get(answer)]


def test_compose_v2_accepts_the_file_with_every_profile(project: tuple[Path, dict[str, Any]]) -> None:
    result = compose_config(project[0] / "compose.yaml", "-q")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_file_matches_the_compose_spec_schema(project: tuple[Path, dict[str, Any]]) -> None:
    result = schema_check(project[0] / "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_validators_reject_a_broken_file(tmp_path: Path) -> None:
    """Guards the checks above: they must fail on a file Compose rejects (e.g. an undefined dependency)."""
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  a:\n    image: busybox:1.36.1\n    depends_on: [missing]\n    ports: 80\n")
    assert compose_config(broken, "-q").returncode != 0
    assert schema_check(broken).returncode != 0


def test_every_image_is_pinned_to_an_exact_tag(project: tuple[Path, dict[str, Any]], model: dict[str, Any]) -> None:
    answers = project[1]
    slug = "demo_auth"
    for name, service in model["services"].items():
        if name in APP:
            assert service["image"] == f"{slug}:dev"
        elif name == "postgres":
            assert service["image"] == POSTGRES[answers.get("postgres_major", 18)][0]
        elif name == "vault-seed":
            assert service["image"] == PINNED["vault"]
        else:
            assert service["image"] == PINNED[name]
        assert "latest" not in service["image"]
    # Images are literal (no interpolation): the testcontainers provider reads them with a plain YAML parser.
    assert {n: s["image"] for n, s in raw_services(project[0]).items()} == {
        n: s["image"] for n, s in model["services"].items()
    }


def test_postgres_volume_matches_the_major_version(project: tuple[Path, dict[str, Any]], model: dict[str, Any]) -> None:
    target = POSTGRES[project[1].get("postgres_major", 18)][1]
    assert [v["target"] for v in model["services"]["postgres"]["volumes"]] == [target]


def test_every_published_port_binds_localhost_and_is_overridable(project: tuple[Path, dict[str, Any]]) -> None:
    compose_file = project[0] / "compose.yaml"
    env_example = (project[0] / ".env.example").read_text()
    raw = raw_services(project[0])
    shifted = {name: str(20000 + index) for index, name in enumerate(PORT_VARIABLES)}
    model = resolved_model(compose_file, env={**os.environ, **shifted})
    published = 0
    for name, service in model["services"].items():
        for port in service.get("ports", []):
            published += 1
            assert port["host_ip"] == "127.0.0.1", (name, port)
            variable = next(var for var, target in PORT_VARIABLES.items() if target == (name, port["target"]))
            assert port["published"] == shifted[variable], (name, port)
            assert f"127.0.0.1:${{{variable}:-" in str(raw[name]["ports"])
            assert re.search(rf"^{variable}=\d+$", env_example, re.MULTILINE), variable
    assert published >= 8


def test_every_service_has_a_healthcheck_with_start_period(model: dict[str, Any]) -> None:
    for name, service in model["services"].items():
        if name in ONE_SHOTS:
            assert service["restart"] == "no" and "healthcheck" not in service, name
            continue
        check = service.get("healthcheck")
        assert check and check["test"], name
        # No start_interval: Compose 2.24-5.0 send it and Docker Engine < 25 refuses the whole `up`.
        assert check.get("start_period") and "start_interval" not in check, name


def test_healthchecks_test_readiness_not_liveness(model: dict[str, Any]) -> None:
    services = model["services"]
    checks = {name: " ".join(services[name]["healthcheck"]["test"]) for name in services if name not in ONE_SHOTS}
    assert (
        "pg_isready -h 127.0.0.1" in checks["postgres"] and "-d " in checks["postgres"] and "-U " in checks["postgres"]
    )
    assert "redis-cli" in checks["redis"] and "PONG" in checks["redis"]
    assert checks["mailpit"] == "CMD /mailpit readyz"
    assert "Authorization: Bearer sk_test_" in checks["stripe-mock"] and "/v1/customers" in checks["stripe-mock"]
    assert checks["vault"] == "CMD vault status -address=http://127.0.0.1:8200"
    assert "/_localstack/health" in checks["localstack"] and "running" in checks["localstack"]
    assert "/readyz" in checks["backend"]
    assert "/config.js" in checks["frontend"]


def test_volumes_are_named(model: dict[str, Any]) -> None:
    for name, service in model["services"].items():
        for volume in service.get("volumes", []):
            assert volume["type"] == "volume", (name, volume)
            assert volume["source"] in model["volumes"], (name, volume)


def test_backend_waits_for_healthy_dependencies(project: tuple[Path, dict[str, Any]], model: dict[str, Any]) -> None:
    services = model["services"]
    expected = {"postgres", "redis", "mailpit", "stripe-mock", "vault"} | (
        {"localstack"} if aws_services(project[1]) else set()
    )
    depends = {name: d["condition"] for name, d in services["backend"]["depends_on"].items()}
    assert depends == {
        **dict.fromkeys(expected, "service_healthy"),
        **dict.fromkeys(ONE_SHOTS, "service_completed_successfully"),
    }
    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert services["migrate"]["environment"]["DATABASE_URL"] == services["backend"]["environment"]["DATABASE_URL"]
    assert "secret/demo_auth/backend" in services["vault-seed"]["command"][0]
    assert services["frontend"]["depends_on"] == {"backend": {"condition": "service_healthy", "required": True}}
    assert services["backend"]["extra_hosts"] == ["host.docker.internal=host-gateway"]


def test_localstack_serves_what_the_answers_need(project: tuple[Path, dict[str, Any]], model: dict[str, Any]) -> None:
    wanted = aws_services(project[1])
    localstack = model["services"]["localstack"]
    expected = wanted or ["s3", "sqs", "sns"]
    assert localstack["environment"]["SERVICES"] == ",".join(expected)
    assert localstack["healthcheck"]["test"][-len(expected) :] == expected
    # A feature that needs AWS starts LocalStack by default; otherwise it waits behind the "aws" profile.
    assert localstack.get("profiles") == (None if wanted else ["aws"])


def test_observability_stack_only_when_full(project: tuple[Path, dict[str, Any]], model: dict[str, Any]) -> None:
    services = model["services"]
    if project[1].get("observability") == "full":
        assert services["prometheus"]["profiles"] == services["grafana"]["profiles"] == ["observability"]
        assert "backend:8000" in model["configs"]["prometheus-config"]["content"]
        assert "http://prometheus:9090" in model["configs"]["grafana-datasources"]["content"]
    else:
        assert "prometheus" not in services and "grafana" not in services


def test_app_environment(model: dict[str, Any]) -> None:
    backend, frontend = model["services"]["backend"], model["services"]["frontend"]
    env = backend["environment"]
    assert env["DATABASE_URL"].startswith("postgresql+asyncpg://kernia:") and env["DATABASE_URL"].endswith(
        "@postgres:5432/demo_auth"
    )
    assert env["KERNIA_BASE_URL"] == "http://127.0.0.1:8000/api/auth" == frontend["environment"]["AUTH_BASE_URL"]
    assert env["FRONTEND_URL"] == "http://127.0.0.1:3000"
    assert (env["SMTP_HOST"], env["SMTP_PORT"]) == ("mailpit", "1025")
    assert env["STRIPE_API_BASE"] == "http://stripe-mock:12111"
    assert env["AWS_ENDPOINT_URL"] == "http://localstack:4566"
    assert env["VAULT_ADDR"] == "http://vault:8200"
    assert env["VAULT_TOKEN"] == model["services"]["vault"]["environment"]["VAULT_DEV_ROOT_TOKEN_ID"]
    assert backend["command"][:6] == ["uvicorn", "demo_auth.main:app", "--host", "0.0.0.0", "--port", "8000"]
    assert frontend["command"][:4] == ["uvicorn", "app:app", "--app-dir", "frontend"]


def test_env_example_has_placeholders_only(project: tuple[Path, dict[str, Any]]) -> None:
    text = (project[0] / ".env.example").read_text()
    compose_text = (project[0] / "compose.yaml").read_text()
    pairs = dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    for key, value in pairs.items():
        if re.search(r"PASSWORD|TOKEN|SECRET|KEY", key):
            assert value == "", f"{key} must stay empty in .env.example"
        else:
            assert re.fullmatch(r"[A-Za-z0-9_.-]*", value), key
    # Every variable compose.yaml reads is documented, and nothing else.
    assert set(pairs) == set(re.findall(r"\$\{([A-Z0-9_]+):-", compose_text))


def test_template_sources_stay_in_the_template_repository(project: tuple[Path, dict[str, Any]]) -> None:
    assert not (project[0] / "compose").exists()


def test_every_service_definition_is_used(tmp_path: Path) -> None:
    """compose/ holds one file per service and each reaches the rendered file (no orphaned second copy)."""
    services = raw_services(render_project(tmp_path / "all", **ALL_ON))
    definitions = {path.stem for path in (REPO_ROOT / "compose").glob("*.yaml")}
    assert definitions == set(services)


def test_custom_auth_path_and_slug_reach_the_app(tmp_path: Path) -> None:
    project = render_project(tmp_path / "custom", project_slug="acme_id", auth_path="/auth/v1")
    model = resolved_model(project / "compose.yaml", env={**os.environ, "BACKEND_PORT": "18000"})
    backend = model["services"]["backend"]
    assert backend["environment"]["KERNIA_BASE_URL"] == "http://127.0.0.1:18000/auth/v1"
    assert backend["command"][1] == "acme_id.main:app"
    assert model["services"]["postgres"]["environment"]["POSTGRES_DB"] == "acme_id"


def test_readme_states_the_engine_and_compose_minimums_and_the_vault_restart(
    project: tuple[Path, dict[str, Any]],
) -> None:
    """Dev-mode Vault forgets its secrets when Docker restarts and nothing re-seeds it by itself: the README says
    what to run; and the versions it states are the ones the harness checks."""
    readme = (project[0] / "README.md").read_text()
    assert MIN_COMPOSE == (2, 23, 1) and "Compose >= 2.23.1" in readme
    assert MIN_ENGINE_API == (1, 41) and "Docker Engine >= 20.10" in readme
    assert "after\nDocker or the host restarts, run `docker compose up --wait` again" in readme
