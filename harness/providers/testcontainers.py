"""Each service as its own container through testcontainers-python, with the images compose.yaml pins.

The image tags (and LocalStack's service list) are read from the rendered project's compose.yaml, so compose
and testcontainers run the same versions. Configuration is pure (``container_specs``); only ``up``/``down``
touch Docker.

Lifetime: testcontainers' reaper (Ryuk) removes the containers when the Python process that started them
exits, so a stack started by one process and stopped by another (`harness up` then `harness down`) needs
``reaper: False``, which disables Ryuk for the whole process. ``down`` removes the containers by id
either way.

Options: ``reaper`` (default True), ``oidc_issuer`` (default "": the harness runs its own test IdP beside
the containers, see harness.sidecars), ``stripe`` ("fake" or "stack", as for compose), ``bind_host`` (host
address the ports bind to, default 127.0.0.1).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import yaml

from harness.compose_cli import engine_missing_message, flag_option
from harness.endpoints import Endpoints, ServiceInfo
from harness.providers.base import Progress, Provider, ProviderError, StackHandle, silent

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

COMPOSE_FILE = "compose.yaml"
SERVICES = ("postgres", "redis", "mailpit", "localstack", "stripe-mock", "vault")
STRIPE_TEST_KEY = "sk_test_devonly"  # stripe-mock accepts any sk_test_ key; this one is not a secret
LOG_TAIL = 50


@dataclass(frozen=True)
class HttpWait:
    """Ready when GET ``path`` on the container's ``port`` answers 2xx."""

    port: int
    path: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ContainerSpec:
    """What one container runs: image, container ports, environment and how to tell it is ready.

    ``wait`` None means the testcontainers module's own strategy (psql query, redis PING, LocalStack's
    "Ready.", Vault's /v1/sys/health).
    """

    service: str
    image: str
    ports: tuple[int, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    wait: HttpWait | None = None


@dataclass(frozen=True)
class Credentials:
    """Per-run credentials: the containers live only for this run, so nothing needs a fixed password."""

    postgres_user: str
    postgres_password: str
    vault_token: str

    @classmethod
    def generate(cls) -> Credentials:
        return cls("kernia", secrets.token_urlsafe(16), secrets.token_urlsafe(16))


def compose_services(project_dir: Path) -> dict[str, Any]:
    """The ``services`` of the rendered compose.yaml (its images are literal tags, no interpolation)."""
    path = project_dir / COMPOSE_FILE
    if not path.is_file():
        raise ProviderError(f"{path} does not exist: render the project with the Copier template first")
    return dict(yaml.safe_load(path.read_text())["services"])


def container_specs(compose: Mapping[str, Any], credentials: Credentials) -> list[ContainerSpec]:
    """The containers of the stack, configured like their compose.yaml counterparts."""
    image = {name: str(compose[name]["image"]) for name in SERVICES}
    mailpit_env = {key: str(value) for key, value in compose["mailpit"].get("environment", {}).items()}
    mailpit_env.pop("MP_DATABASE", None)  # no volume here: keep messages in memory
    return [
        ContainerSpec(
            "postgres",
            image["postgres"],
            (5432,),
            {
                "POSTGRES_USER": credentials.postgres_user,
                "POSTGRES_PASSWORD": credentials.postgres_password,
                "POSTGRES_DB": "postgres",
            },
        ),
        ContainerSpec("redis", image["redis"], (6379,)),
        ContainerSpec("mailpit", image["mailpit"], (1025, 8025), mailpit_env, HttpWait(8025, "/readyz")),
        ContainerSpec(
            "localstack",
            image["localstack"],
            (4566,),
            {"SERVICES": str(compose["localstack"]["environment"]["SERVICES"]), "EAGER_SERVICE_LOADING": "1"},
        ),
        ContainerSpec(
            "stripe-mock",
            image["stripe-mock"],
            (12111,),
            wait=HttpWait(12111, "/v1/customers", (("Authorization", f"Bearer {STRIPE_TEST_KEY}"),)),
        ),
        ContainerSpec(
            "vault",
            image["vault"],
            (8200,),
            {"VAULT_DEV_ROOT_TOKEN_ID": credentials.vault_token, "SKIP_SETCAP": "1"},
        ),
    ]


def endpoints_for(
    host: str,
    ports: Mapping[str, Mapping[int, int]],
    specs: list[ContainerSpec],
    credentials: Credentials,
    oidc_issuer: str,
) -> Endpoints:
    """Endpoints from the host ports Docker mapped (``ports[service][container_port]``)."""

    def url(service: str, port: int) -> str:
        return f"http://{host}:{ports[service][port]}"

    user, password = quote(credentials.postgres_user, safe=""), quote(credentials.postgres_password, safe="")
    return Endpoints(
        provider="testcontainers",
        database_url=f"postgresql://{user}:{password}@{host}:{ports['postgres'][5432]}/postgres",
        redis_url=f"redis://{host}:{ports['redis'][6379]}/0",
        smtp_host=host,
        smtp_port=ports["mailpit"][1025],
        mailpit_api_url=url("mailpit", 8025),
        aws_endpoint_url=url("localstack", 4566),
        stripe_api_base=url("stripe-mock", 12111),
        vault_addr=url("vault", 8200),
        vault_token=credentials.vault_token,
        oidc_issuer=oidc_issuer,
        services=tuple(service_info(spec) for spec in specs),
    )


def service_info(spec: ContainerSpec) -> ServiceInfo:
    """Implementation and version for the report, from the container's image tag."""
    repository, _, tag = spec.image.rpartition(":")
    return ServiceInfo(name=spec.service, implementation=repository, version=tag, mode="testcontainers")


def build_container(spec: ContainerSpec, bind_host: str) -> DockerContainer:
    """The testcontainers object for ``spec``, its ports bound to ``bind_host`` on random host ports."""
    container = _FACTORIES.get(spec.service, _generic)(spec)
    if spec.wait is not None:
        container.waiting_for(_http_wait(spec.wait))
    for port in spec.ports:
        # docker-py reads a 1-tuple as "this host address, any free port".
        container.ports[str(port)] = (bind_host,)  # type: ignore[assignment]
    return container


def _http_wait(wait: HttpWait) -> Any:
    from testcontainers.core.wait_strategies import HttpWaitStrategy

    strategy = HttpWaitStrategy(wait.port, wait.path)
    for name, value in wait.headers:
        strategy = strategy.with_header(name, value)
    return strategy


def _generic(spec: ContainerSpec) -> DockerContainer:
    from testcontainers.core.container import DockerContainer

    return DockerContainer(spec.image, env=dict(spec.env), ports=list(spec.ports))


def _postgres(spec: ContainerSpec) -> DockerContainer:
    from testcontainers.community.postgres import PostgresContainer

    env = spec.env
    return PostgresContainer(
        spec.image,
        username=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        dbname=env["POSTGRES_DB"],
        driver=None,
    )


def _redis(spec: ContainerSpec) -> DockerContainer:
    from testcontainers.community.redis import RedisContainer

    return RedisContainer(spec.image)


def _localstack(spec: ContainerSpec) -> DockerContainer:
    from testcontainers.community.localstack import LocalStackContainer

    container = LocalStackContainer(spec.image, region_name="us-east-1")
    return container.with_services(*spec.env["SERVICES"].split(",")).with_env("EAGER_SERVICE_LOADING", "1")


def _vault(spec: ContainerSpec) -> DockerContainer:
    from testcontainers.community.vault import VaultContainer

    return VaultContainer(spec.image, root_token=spec.env["VAULT_DEV_ROOT_TOKEN_ID"]).with_env("SKIP_SETCAP", "1")


_FACTORIES: dict[str, Callable[[ContainerSpec], DockerContainer]] = {
    "postgres": _postgres,
    "redis": _redis,
    "localstack": _localstack,
    "vault": _vault,
}


class TestcontainersProvider(Provider):
    """One container per service, cleaned up by testcontainers' reaper."""

    __test__ = False  # not a pytest test class despite the name
    name = "testcontainers"

    def up(self, run_dir: Path, progress: Progress = silent) -> StackHandle:
        """Start one container per service on random host ports; stop the started ones if any fails."""
        credentials = Credentials.generate()
        specs = container_specs(compose_services(self.project_dir), credentials)
        self._configure_reaper()
        bind_host = str(self.options.get("bind_host", "127.0.0.1"))
        started: list[DockerContainer] = []
        ports: dict[str, dict[int, int]] = {}
        try:
            for spec in specs:
                progress(f"testcontainers: starting {spec.service} ({spec.image})")
                container = build_container(spec, bind_host)
                started.append(container)
                container.start()
                ports[spec.service] = {port: int(container.get_exposed_port(port)) for port in spec.ports}
            # Ports bound to one address are reached there; otherwise ask testcontainers (remote engines).
            host = bind_host if bind_host != "0.0.0.0" else started[0].get_container_host_ip()
        except Exception as exc:
            message = self._failure_message(exc, started)
            for container in reversed(started):
                _quietly(container.stop)
            raise ProviderError(message) from exc
        endpoints = endpoints_for(host, ports, specs, credentials, str(self.options.get("oidc_issuer", "")))
        state = {"containers": {spec.service: c.get_container_id() for spec, c in zip(specs, started, strict=True)}}
        return StackHandle(provider=self.name, endpoints=endpoints, run_dir=run_dir, state=state)

    def down(self, handle: StackHandle, *, keep_data: bool = False) -> None:
        """Remove the containers (and their anonymous volumes); with ``keep_data`` only stop them."""
        import docker
        from docker.errors import DockerException, NotFound

        try:
            client = docker.from_env()
        except DockerException as exc:
            raise ProviderError(engine_missing_message(str(exc))) from exc
        for container_id in handle.state.get("containers", {}).values():
            try:
                container = client.containers.get(container_id)
            except NotFound:
                continue  # already removed by the reaper
            if keep_data:
                container.stop()
            else:
                container.remove(force=True, v=True)

    def _configure_reaper(self) -> None:
        try:
            reaper = flag_option(self.options, "reaper", default=True)
        except ValueError as exc:
            raise ProviderError(str(exc)) from None
        if not reaper:
            from testcontainers.core.config import testcontainers_config

            testcontainers_config.ryuk_disabled = True

    @staticmethod
    def _failure_message(exc: Exception, started: list[DockerContainer]) -> str:
        from docker.errors import DockerException

        if isinstance(exc, DockerException) and not started:
            return engine_missing_message(str(exc))
        if not started:
            return f"testcontainers could not start the stack: {exc}"
        failed = started[-1]
        lines = [f"testcontainers: {failed.image} did not become ready: {exc}"]
        try:
            stdout, stderr = failed.get_logs()
            tail = (stdout + stderr).decode(errors="replace").splitlines()[-LOG_TAIL:]
            lines += [f"    {line}" for line in tail]
        except Exception:  # the container may not exist at all
            lines.append("    (no log output)")
        return "\n".join(lines)


def _quietly(action: Callable[[], object]) -> None:
    try:
        action()
    except Exception:  # cleanup after a failure must not hide the failure
        return
