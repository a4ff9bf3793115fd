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

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from harness.commands import tail
from harness.compose_cli import engine_missing_message
from harness.endpoints import Endpoints, ServiceInfo
from harness.options import flag_option
from harness.ports import LOCALHOST
from harness.providers.base import Progress, Provider, ProviderError, StackHandle, silent, stripe_stand_in
from harness.services import ContainerSpec, Credentials, HttpWait, Service, stripe
from harness.services.catalog import CONTAINER_SERVICES, report_name

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

COMPOSE_FILE = "compose.yaml"
SERVICES = tuple(str(service.compose_name) for service in CONTAINER_SERVICES)
STRIPE_TEST_KEY = stripe.TEST_KEY
LOG_TAIL = 50


def compose_services(project_dir: Path) -> dict[str, Any]:
    """The ``services`` of the rendered compose.yaml (its images are literal tags, no interpolation)."""
    path = project_dir / COMPOSE_FILE
    if not path.is_file():
        raise ProviderError(f"{path} does not exist: render the project with the Copier template first")
    return dict(yaml.safe_load(path.read_text())["services"])


def container_specs(compose: Mapping[str, Any], credentials: Credentials) -> list[ContainerSpec]:
    """The containers of the stack, configured like their compose.yaml counterparts."""
    specs = []
    for service in CONTAINER_SERVICES:
        assert service.container is not None and service.compose_name is not None
        specs.append(service.container(compose[service.compose_name], credentials))
    return specs


def endpoints_for(
    host: str,
    ports: Mapping[str, Mapping[int, int]],
    specs: list[ContainerSpec],
    credentials: Credentials,
    oidc_issuer: str,
) -> Endpoints:
    """Endpoints from the host ports Docker mapped (``ports[service][container_port]``)."""
    fields: dict[str, Any] = {}
    for service, spec in zip(CONTAINER_SERVICES, specs, strict=True):
        assert service.endpoints is not None
        fields.update(service.endpoints(host, ports[spec.service], spec.env))
    return Endpoints(
        provider="testcontainers",
        oidc_issuer=oidc_issuer,
        services=tuple(service_info(spec) for spec in specs),
        **fields,
    )


def service_info(spec: ContainerSpec) -> ServiceInfo:
    """Implementation and version for the report, from the container's image tag."""
    repository, _, tag = spec.image.rpartition(":")
    return ServiceInfo(name=report_name(spec.service), implementation=repository, version=tag, mode="testcontainers")


def build_container(spec: ContainerSpec, bind_host: str) -> DockerContainer:
    """The testcontainers object for ``spec``, its ports bound to ``bind_host`` on random host ports."""
    factory = next(s.factory for s in CONTAINER_SERVICES if s.compose_name == spec.service) or _generic
    container = factory(spec)
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


class TestcontainersProvider(Provider):
    """One container per service, cleaned up by testcontainers' reaper."""

    __test__ = False  # not a pytest test class despite the name
    name = "testcontainers"

    def up(self, run_dir: Path, progress: Progress = silent) -> StackHandle:
        """Start one container per service on random host ports; stop the started ones if any fails."""
        credentials = Credentials.generate()
        specs = container_specs(compose_services(self.project_dir), credentials)
        self._configure_reaper()
        bind_host = str(self.options.get("bind_host", LOCALHOST))
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

    @classmethod
    def sidecars(cls, handle: StackHandle, options: Mapping[str, Any]) -> list[Service]:
        """The base's IdP rule, plus the stateful Stripe stand-in unless ``stripe=stack``."""
        return [*super().sidecars(handle, options), *stripe_stand_in(options)]

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
            lines += [f"    {line}" for line in tail((stdout + stderr).decode(errors="replace"), LOG_TAIL).splitlines()]
        except Exception:  # the container may not exist at all
            lines.append("    (no log output)")
        return "\n".join(lines)


def _quietly(action: Callable[[], object]) -> None:
    try:
        action()
    except Exception:  # cleanup after a failure must not hide the failure
        return
