"""Each service as its own container through testcontainers-python, with the images compose.yaml pins.

The image tags, LocalStack's service list and each service's healthcheck are read from the rendered project's
compose.yaml, so compose and testcontainers run the same versions and call them ready by the same command. Where
a pinned image is missing locally and a stand-in image was built (``harness.images``), the stand-in runs and the
report says so. Configuration is pure (``container_specs``); only ``up``/``down`` touch Docker.

Lifetime: with the reaper on, the harness registers the run's label with Ryuk (testcontainers' reaper) on a
connection it holds until the process exits, and Ryuk removes the run's containers once that connection has been
closed for 10 s. That suits ``harness rehearse`` (the stack dies with the run, even when the run is killed) and
breaks ``harness up`` (the stack must outlive the command), so the reaper defaults to off when the harness marks
the stack ``detached`` (``harness up``, ``rehearse --keep``). Every container carries the run's labels, and
``down`` removes by label and by id, so a stack started by one process is removed by another.

Options: ``Options`` below (``harness providers`` lists them); ``detached`` is set by the harness itself.
"""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import yaml

from harness.compose_cli import engine_missing_message
from harness.endpoints import Endpoints, ServiceInfo
from harness.images import ImageChoice, choose
from harness.options import ProviderOptions, flag_option, option
from harness.ports import LOCALHOST
from harness.providers.base import Progress, Provider, ProviderError, StackHandle, silent, stripe_stand_in
from harness.providers.docker_health import Healthcheck, NotHealthy, diagnosis, wait_healthy
from harness.services import ContainerSpec, Credentials, HttpWait, Service
from harness.services.catalog import CONTAINER_SERVICES, report_name

if TYPE_CHECKING:
    from docker import DockerClient
    from testcontainers.core.container import DockerContainer

COMPOSE_FILE = "compose.yaml"
INSTALL_HINT = "install 'kernia-harness[testcontainers]'"
# Every container of a run carries these labels: `down` and the clean-up after a failed or interrupted `up`
# find the run's containers by them, whatever the reaper did.
LABEL_RUN = "org.kernia-harness.run"
LABEL_STACK = "org.kernia-harness.stack"
LABEL_SERVICE = "org.kernia-harness.service"


@dataclass(frozen=True)
class Options(ProviderOptions):
    """Options of the testcontainers provider (``--option KEY=VALUE``)."""

    provider: ClassVar[str] = "testcontainers"
    reaper: bool = option(
        True, "Ryuk removes the run's containers if the run is killed (off when the stack outlives its command)"
    )
    oidc_issuer: str = option("", "issuer URL of an identity provider to use (default: the harness's test IdP)")
    stripe: str = option(
        "fake", "billing against the harness's stateful stand-in or the stack's stripe-mock", ("fake", "stack")
    )
    bind_host: str = option(LOCALHOST, "the host address the containers' ports bind to (an IP address of this host)")
    wait_timeout: int = option(180, "seconds each container may take to turn healthy")

    @classmethod
    def parse(cls, values: Mapping[str, Any] | None) -> Options:
        """As ``ProviderOptions.parse``; the reaper is off for a detached stack, and a bind host must be an IP."""
        values = dict(values or {})
        detached = flag_option(values, "detached", default=False)
        if detached and flag_option(values, "reaper", default=False):
            raise ValueError(
                "option reaper=true: Ryuk would remove the containers about 10 s after this command exits; drop the "
                "option (the stack then lasts until `harness down`)"
            )
        options = super().parse({**values, "reaper": values.get("reaper", not detached)})
        if options.wait_timeout <= 0:
            raise ValueError(f"option wait_timeout={options.wait_timeout}: give seconds, more than 0")
        try:
            ipaddress.ip_address(options.bind_host)
        except ValueError:
            raise ValueError(
                f"option bind_host={options.bind_host!r}: give an IP address of this host, e.g. 127.0.0.1"
            ) from None
        return options


SelectFn = Callable[[str], ImageChoice]


@dataclass(frozen=True)
class Planned:
    """One container to start: its spec (with the image actually run), the pin, and the compose healthcheck."""

    spec: ContainerSpec
    pinned: str
    stand_in: bool
    healthcheck: Healthcheck | None


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
        specs.append(ContainerSpec.of(service, service.container(compose[service.compose_name], credentials)))
    return specs


def plan(compose: Mapping[str, Any], credentials: Credentials, select: SelectFn) -> list[Planned]:
    """Each container with the image ``select`` picks for its pin and its compose.yaml healthcheck."""
    planned = []
    for spec in container_specs(compose, credentials):
        selected = select(spec.image)
        planned.append(
            Planned(
                replace(spec, image=selected.ref),
                spec.image,
                selected.stand_in,
                Healthcheck.from_compose(compose[spec.service]),
            )
        )
    return planned


def endpoints_for(
    host: str,
    ports: Mapping[str, Mapping[int, int]],
    planned: list[Planned],
    oidc_issuer: str,
) -> Endpoints:
    """Endpoints from the host ports Docker mapped (``ports[service][container_port]``)."""
    fields_: dict[str, Any] = {}
    for service, item in zip(CONTAINER_SERVICES, planned, strict=True):
        assert service.endpoints is not None
        fields_.update(service.endpoints(host, ports[item.spec.service], item.spec.env))
    return Endpoints(
        provider="testcontainers",
        oidc_issuer=oidc_issuer,
        services=tuple(service_info(item) for item in planned),
        **fields_,
    )


def service_info(item: Planned) -> ServiceInfo:
    """Implementation and version for the report, from the pinned tag; a stand-in image is named as such."""
    repository, _, tag = item.pinned.rpartition(":")
    implementation = f"{repository} (stand-in image)" if item.stand_in else repository
    return ServiceInfo(report_name(item.spec.service), implementation, tag, "testcontainers", stand_in=item.stand_in)


def run_labels(run_dir: Path, run_id: str, service: str) -> dict[str, str]:
    """The labels of one container: the run, the project's stack (its run directory) and the service."""
    return {LABEL_RUN: run_id, LABEL_STACK: run_dir.name, LABEL_SERVICE: service}


def build_container(item: Planned, bind_host: str, labels: Mapping[str, str]) -> DockerContainer:
    """The testcontainers object for ``item``, its ports bound to ``bind_host`` on random host ports."""
    spec = item.spec
    factory = next(s.factory for s in CONTAINER_SERVICES if s.compose_name == spec.service) or _generic
    container = factory(spec)
    if spec.wait is not None:
        container.waiting_for(_http_wait(spec.wait))
    for port in spec.ports:
        # docker-py reads a 1-tuple as "this host address, any free port".
        container.ports[str(port)] = (bind_host,)  # type: ignore[assignment]
    # The factories pass no create-container arguments of their own, so these are all of them.
    healthcheck = {"healthcheck": item.healthcheck.to_docker()} if item.healthcheck else {}
    return container.with_kwargs(labels=dict(labels), **healthcheck)


def _http_wait(wait: HttpWait) -> Any:
    from testcontainers.core.wait_strategies import HttpWaitStrategy

    strategy = HttpWaitStrategy(wait.port, wait.path)
    for name, value in wait.headers:
        strategy = strategy.with_header(name, value)
    return strategy


def _generic(spec: ContainerSpec) -> DockerContainer:
    from testcontainers.core.container import DockerContainer

    return DockerContainer(spec.image, env=dict(spec.env), ports=list(spec.ports))


def _docker_client() -> DockerClient:
    """The Docker SDK's client; an ImportError becomes the install hint, a silent engine the way forward."""
    try:
        import docker
        import testcontainers.core.container  # noqa: F401  (the extra this provider needs, checked up front)
    except ImportError as exc:
        raise ProviderError(f"provider 'testcontainers' cannot run ({exc}); {INSTALL_HINT}") from exc
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        raise ProviderError(engine_missing_message(str(exc))) from exc
    return client


def remove_labelled(client: DockerClient, label: str, *, keep_data: bool = False) -> list[str]:
    """Remove (or with ``keep_data`` stop) every container carrying ``label`` (``key=value``), with its anonymous
    volumes; returns the ids."""
    # sparse: no inspect per listed container, which fails the whole listing when one is removed meanwhile (Ryuk)
    ids = [container.id for container in client.containers.list(all=True, sparse=True, filters={"label": label})]
    for container_id in ids:
        remove_container(client, container_id, keep_data=keep_data)
    return ids


def remove_container(client: DockerClient, container_id: str, *, keep_data: bool = False) -> None:
    """Remove (or with ``keep_data`` stop) one container and its anonymous volumes; one already gone is fine."""
    from docker.errors import NotFound  # lazily, like every docker import here

    with contextlib.suppress(NotFound):
        if keep_data:
            client.api.stop(container_id)
        else:
            client.api.remove_container(container_id, force=True, v=True)


class TestcontainersProvider(Provider):
    """One container per service, labelled with the run; Ryuk reaps them only when the stack dies with the process."""

    __test__ = False  # not a pytest test class despite the name
    name = "testcontainers"
    Options = Options

    def up(self, run_dir: Path, progress: Progress = silent) -> StackHandle:
        """Start one container per service on random host ports, each until healthy; on any failure or interrupt,
        remove every container of the run and name the one that failed."""
        options = self.typed_options()
        client = _docker_client()
        planned = plan(compose_services(self.project_dir), Credentials.generate(), choose)
        leftovers = remove_labelled(client, f"{LABEL_STACK}={run_dir.name}")
        if leftovers:
            progress(f"testcontainers: removed {len(leftovers)} container(s) left by an earlier run of this project")
        run_id = secrets.token_hex(6)
        self._configure(client, options, run_id, progress)
        ports: dict[str, dict[int, int]] = {}
        ids: dict[str, str] = {}
        host = options.bind_host
        try:
            for item, container in self._start_each(planned, options, run_dir, run_id, progress):
                ports[item.spec.service] = {port: int(container.get_exposed_port(port)) for port in item.spec.ports}
                ids[item.spec.service] = container.get_container_id()
                if host == "0.0.0.0":  # published on every address: where testcontainers reaches it (remote engines)
                    host = container.get_container_host_ip()
        except BaseException:
            remove_labelled(client, f"{LABEL_RUN}={run_id}")
            raise
        endpoints = endpoints_for(host, ports, planned, options.oidc_issuer)
        state = {"containers": ids, "run_id": run_id}
        return StackHandle(provider=self.name, endpoints=endpoints, run_dir=run_dir, state=state)

    def _start_each(
        self, planned: list[Planned], options: Options, run_dir: Path, run_id: str, progress: Progress
    ) -> Iterator[tuple[Planned, DockerContainer]]:
        """Start the containers one by one, each until healthy; a failure names the container and why."""
        for item in planned:
            image = f"{item.spec.image}, stand-in image" if item.stand_in else item.spec.image
            progress(f"testcontainers: starting {item.spec.service} ({image})")
            container = build_container(item, options.bind_host, run_labels(run_dir, run_id, item.spec.service))
            container.with_name(f"kh-{item.spec.service}-{run_id}")
            started = time.monotonic()
            try:
                container.start()
                if item.healthcheck is not None:
                    wait_healthy(container.get_wrapped_container(), item.healthcheck, options.wait_timeout)
            except NotHealthy as exc:
                raise ProviderError(f"testcontainers: {item.spec.service} ({image}) {exc}") from None
            except Exception as exc:
                raise ProviderError(self._start_failure(item, image, container, exc)) from exc
            progress(f"testcontainers: {item.spec.service} healthy in {time.monotonic() - started:.1f} s")
            yield item, container

    @staticmethod
    def _start_failure(item: Planned, image: str, container: DockerContainer, exc: Exception) -> str:
        """A failure inside testcontainers (pull, create, its own wait strategy), with the container's diagnosis."""
        wrapped = container.get_wrapped_container()  # None when creating the container failed
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        what = f"did not start: {detail}"
        if wrapped is None:
            return f"testcontainers: {item.spec.service} ({image}) {what}"
        with contextlib.suppress(Exception):  # gone already: the diagnosis below says what it can
            wrapped.reload()
        return f"testcontainers: {item.spec.service} ({image}) {diagnosis(wrapped, item.healthcheck, what)}"

    @classmethod
    def sidecars(cls, handle: StackHandle, options: Mapping[str, Any]) -> list[Service]:
        """The base's IdP rule, plus the stateful Stripe stand-in unless ``stripe=stack``."""
        return [*super().sidecars(handle, options), *stripe_stand_in(options)]

    def down(self, handle: StackHandle, *, keep_data: bool = False) -> None:
        """Remove the run's containers (and their anonymous volumes) by id and by label; with ``keep_data`` only
        stop them."""
        client = _docker_client()
        remove_labelled(client, f"{LABEL_RUN}={handle.state['run_id']}", keep_data=keep_data)
        if not keep_data:  # by id too: labels are the net, ids the record
            for container_id in handle.state.get("containers", {}).values():
                remove_container(client, container_id)

    @staticmethod
    def _configure(client: DockerClient, options: Options, run_id: str, progress: Progress) -> None:
        """testcontainers' process-wide settings for this stack: where its own waits connect, and the reaper."""
        from testcontainers.core.config import ConnectionMode, testcontainers_config

        if options.bind_host != "0.0.0.0":
            # The ports are published on bind_host only, and the harness reaches them there; the modules' waits
            # must too (inside a container testcontainers would otherwise try the bridge gateway).
            testcontainers_config.tc_host_override = options.bind_host
            testcontainers_config.connection_mode_override = ConnectionMode.docker_host
        reaper = choose(testcontainers_config.ryuk_image)  # no registry here: its stand-in, when built
        testcontainers_config.ryuk_disabled = True
        if not options.reaper:
            return
        if not _image_available(client, reaper.ref):
            progress(
                f"testcontainers: the reaper image {reaper.ref} is not available here; the harness removes "
                "the containers itself at the end of the run (not if the run is killed)"
            )
            return
        testcontainers_config.ryuk_image = reaper.ref
        testcontainers_config.ryuk_disabled = False
        _hold_reaper(client, f"{LABEL_RUN}={run_id}")
        progress(f"testcontainers: reaper {reaper.ref}{' (stand-in image)' if reaper.stand_in else ''} holds this run")


# Connections to the reaper, open until this process exits: their closing is what tells Ryuk to reap.
_REAPER_CONNECTIONS: list[socket.socket] = []


def _hold_reaper(client: DockerClient, label: str, timeout: float = 30) -> None:
    """Start Ryuk (through testcontainers) and register ``label`` with it on a connection of our own, confirmed by
    its ACK: testcontainers sends its session filter without waiting for one, which a reaper still starting misses."""
    from testcontainers.core.container import Reaper
    from testcontainers.core.docker_client import DockerClient as EngineAddress
    from testcontainers.core.labels import SESSION_ID

    Reaper.get_instance()
    ryuk = client.containers.get(f"testcontainers-ryuk-{SESSION_ID}")
    host = EngineAddress().host()  # Ryuk publishes 8080 on every address of the engine's host
    port = int(ryuk.ports["8080/tcp"][0]["HostPort"])
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError):
            connection = socket.create_connection((host, port), timeout=2)
            connection.sendall(f"label={label}\n".encode())
            if connection.recv(8).startswith(b"ACK"):
                _REAPER_CONNECTIONS.append(connection)
                return
            connection.close()
        if time.monotonic() > deadline:
            raise ProviderError(f"testcontainers: the reaper at {host}:{port} did not acknowledge {label}")
        time.sleep(0.5)


def _image_available(client: DockerClient, ref: str) -> bool:
    """Present locally, or pullable now."""
    from docker.errors import DockerException

    try:
        client.images.get(ref)
    except DockerException:
        try:
            client.images.pull(ref)
        except DockerException:
            return False
    return True
