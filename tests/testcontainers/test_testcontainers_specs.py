"""TestcontainersProvider configuration: pure container specs, images and healthchecks read from compose.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.endpoints import ServiceInfo
from harness.images import ImageChoice
from harness.providers.base import ProviderError
from harness.providers.testcontainers import (
    ContainerSpec,
    Credentials,
    HttpWait,
    TestcontainersProvider,
    compose_services,
    container_specs,
    endpoints_for,
    plan,
)
from harness.services.catalog import CONTAINER_NAMES as SERVICES
from tests.helpers.engine import engine_problem
from tests.helpers.render import RenderFn

CREDENTIALS = Credentials("kernia", "run-password", "run-token")


def pinned(ref: str) -> ImageChoice:
    return ImageChoice(ref, ref, stand_in=False)


def stand_in(ref: str) -> ImageChoice:
    return ImageChoice(ref, f"kernia-stand-in/{ref}", stand_in=True)


def specs_for(project: Path) -> dict[str, ContainerSpec]:
    return {spec.service: spec for spec in container_specs(compose_services(project), CREDENTIALS)}


def test_images_are_the_ones_compose_pins(render: RenderFn) -> None:
    project = render(postgres_major=17)
    compose = yaml.safe_load((project / "compose.yaml").read_text())["services"]
    specs = specs_for(project)
    assert list(specs) == list(SERVICES)
    assert {name: spec.image for name, spec in specs.items()} == {name: compose[name]["image"] for name in SERVICES}
    assert specs["postgres"].image == "postgres:17.12-alpine"


def test_localstack_runs_the_services_the_answers_need(render: RenderFn) -> None:
    assert specs_for(render(with_sms=True, with_queue=True))["localstack"].env["SERVICES"] == "sns,sqs"
    assert specs_for(render())["localstack"].env["SERVICES"] == "s3,sqs,sns"


def test_ports_credentials_and_readiness(render: RenderFn) -> None:
    specs = specs_for(render())
    assert {name: spec.ports for name, spec in specs.items()} == {
        "postgres": (5432,),
        "redis": (6379,),
        "mailpit": (1025, 8025),
        "localstack": (4566,),
        "stripe-mock": (12111,),
        "vault": (8200,),
    }
    assert specs["postgres"].env == {
        "POSTGRES_USER": "kernia",
        "POSTGRES_PASSWORD": "run-password",
        "POSTGRES_DB": "postgres",
    }
    assert specs["vault"].env == {"VAULT_DEV_ROOT_TOKEN_ID": "run-token", "SKIP_SETCAP": "1"}
    # Mailpit is configured like its compose service (plain SMTP, any login), minus the on-disk database.
    assert specs["mailpit"].env == {
        "MP_SMTP_AUTH_ACCEPT_ANY": "true",
        "MP_SMTP_AUTH_ALLOW_INSECURE": "true",
        "MP_ENABLE_CHAOS": "true",
    }
    assert specs["mailpit"].wait == HttpWait(8025, "/readyz")
    assert specs["stripe-mock"].wait == HttpWait(12111, "/v1/customers", (("Authorization", "Bearer sk_test_devonly"),))
    # The testcontainers modules bring their own readiness checks for the rest.
    assert all(specs[name].wait is None for name in ("postgres", "redis", "localstack", "vault"))


def test_credentials_are_fresh_per_run() -> None:
    first, second = Credentials.generate(), Credentials.generate()
    assert first.postgres_password != second.postgres_password and first.vault_token != second.vault_token
    assert len(first.postgres_password) >= 20


def test_endpoints_from_mapped_ports(render: RenderFn) -> None:
    planned = plan(compose_services(render()), CREDENTIALS, pinned)
    ports = {
        "postgres": {5432: 50001},
        "redis": {6379: 50002},
        "mailpit": {1025: 50003, 8025: 50004},
        "localstack": {4566: 50005},
        "stripe-mock": {12111: 50006},
        "vault": {8200: 50007},
    }
    endpoints = endpoints_for("127.0.0.1", ports, planned, "http://127.0.0.1:39000")
    assert endpoints.database_url == "postgresql://kernia:run-password@127.0.0.1:50001/postgres"
    assert endpoints.redis_url == "redis://127.0.0.1:50002/0"
    assert (endpoints.smtp_host, endpoints.smtp_port, endpoints.mailpit_api_url) == (
        "127.0.0.1",
        50003,
        "http://127.0.0.1:50004",
    )
    assert endpoints.aws_endpoint_url == "http://127.0.0.1:50005"
    assert endpoints.stripe_api_base == "http://127.0.0.1:50006"
    assert (endpoints.vault_addr, endpoints.vault_token) == ("http://127.0.0.1:50007", "run-token")
    assert endpoints.services[0] == ServiceInfo("postgres", "postgres", "18.6-alpine", "testcontainers")


def test_stand_in_images_run_and_the_report_says_so(render: RenderFn) -> None:
    planned = {item.spec.service: item for item in plan(compose_services(render()), CREDENTIALS, stand_in)}
    postgres = planned["postgres"]
    assert (postgres.spec.image, postgres.pinned) == ("kernia-stand-in/postgres:18.6-alpine", "postgres:18.6-alpine")
    ports = {item.spec.service: dict.fromkeys(item.spec.ports, 50000) for item in planned.values()}
    services = endpoints_for("127.0.0.1", ports, list(planned.values()), "").services
    assert all(info.stand_in for info in services)
    assert services[0] == ServiceInfo("postgres", "postgres (stand-in image)", "18.6-alpine", "testcontainers", True)
    assert "stand-in image" in services[0].describe()


def test_each_container_gets_its_compose_healthcheck(render: RenderFn) -> None:
    planned = {item.spec.service: item for item in plan(compose_services(render()), CREDENTIALS, pinned)}
    postgres = planned["postgres"].healthcheck
    assert postgres is not None
    # compose's $$ escape is undone: the container's shell expands the variable.
    assert postgres.test == ("CMD-SHELL", 'pg_isready -h 127.0.0.1 -U "${POSTGRES_USER}" -d "${POSTGRES_DB}"')
    # compose.yaml's own cadence (no start_interval: Engine < 25 refuses it), as compose gives it.
    assert (postgres.interval, postgres.retries, postgres.start_period) == (2 * 10**9, 30, 30 * 10**9)
    localstack = planned["localstack"].healthcheck
    assert localstack is not None and (localstack.interval, localstack.retries) == (2 * 10**9, 30)
    vault = planned["vault"].healthcheck
    assert vault is not None and vault.describe() == "vault status -address=http://127.0.0.1:8200"
    assert all(item.healthcheck is not None for item in planned.values())


def test_missing_compose_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match=r"compose\.yaml does not exist"):
        compose_services(tmp_path)


@pytest.mark.skipif(not engine_problem(), reason="a Docker engine answers here: the no-engine path cannot be shown")
def test_up_without_an_engine_says_what_to_do(render: RenderFn, tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as raised:
        TestcontainersProvider(render()).up(tmp_path)
    assert str(raised.value).startswith("no Docker engine answers")
    assert "--provider native" in str(raised.value)
