"""The service catalog: everything the harness knows about one service of the stack, in one place.

One module or package per service (postgres, redis, mail, aws, stripe, vault, oidc) owns:

- its one ``name``, used in the report under every provider (the compose/container name may differ);
- its container ports and the compose.yaml variables that publish them on the host;
- the HARNESS_* variables the external provider reads for it;
- how a host and its published ports become Endpoints fields (``endpoints``);
- its native ``plan(ctx) -> Launch`` with the host-side readiness probes;
- its testcontainers spec and factory;
- its stand-in server and client where it has one (``mail.sink``/``mail.client``, ``stripe.fake``, ``oidc.fake``);
- ``version``: how to read the running service's version through its endpoint (harness.services.versions compares
  it with the pin the provider reports in ServiceInfo.version).

This module holds the vocabulary (``Service``, ``Port``, the container spec types) and imports no service;
``harness.services.catalog`` lists the services. The providers loop over that list, so adding a service
is one module here plus its compose YAML.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: launch imports nothing from here either
    from testcontainers.core.container import DockerContainer

    from harness.endpoints import Endpoints
    from harness.services.launch import Launch, RunContext

STAND_IN_VERSION_HEADER = "X-Stand-In-Version"  # every answer of a kernia-test-utils stand-in names its version


def mocks_version() -> str:
    """The installed kernia-test-utils, whose MockStripe and MockIdP the stand-ins serve (their pinned version)."""
    return version("kernia-test-utils")


# (host, {container port: host port}, the container's environment) -> Endpoints fields
EndpointsFn = Callable[[str, Mapping[int, int], Mapping[str, str]], dict[str, Any]]


@dataclass(frozen=True)
class Port:
    """One container port and the compose.yaml variable that chooses its host port."""

    container: int
    variable: str


@dataclass(frozen=True)
class HttpWait:
    """Ready when GET ``path`` on the container's ``port`` answers 2xx."""

    port: int
    path: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ContainerRun:
    """What a service's module says of its container: the image, the environment and how to tell it is ready
    (``wait`` None: the testcontainers module's own strategy where the service has a factory, e.g. a psql query,
    redis PING or Vault's /v1/sys/health; the provider also waits for the compose.yaml healthcheck)."""

    image: str
    env: Mapping[str, str] = field(default_factory=dict)
    wait: HttpWait | None = None


@dataclass(frozen=True)
class ContainerSpec:
    """One container to start: its compose.yaml service name and container ports (from the catalog's Service)
    with its ``ContainerRun``."""

    service: str
    image: str
    ports: tuple[int, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    wait: HttpWait | None = None

    @classmethod
    def of(cls, service: Service, run: ContainerRun) -> ContainerSpec:
        return cls(str(service.compose_name), run.image, service.container_ports, run.env, run.wait)


@dataclass(frozen=True)
class Credentials:
    """Per-run container credentials: the containers live only for this run, so nothing needs a fixed password."""

    postgres_user: str
    postgres_password: str
    vault_token: str

    @classmethod
    def generate(cls) -> Credentials:
        return cls("kernia", secrets.token_urlsafe(16), secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Service:
    """One service of the stack, as every provider sees it.

    ``compose_name`` None: the service has no container (the harness always runs it natively, as a sidecar
    beside container stacks). ``external_label`` names the HARNESS_* variable whose value identifies the
    service in the external provider's report. ``compose_optional``: a compose profile may leave it out
    (its fields are then empty). ``external_optional``: the external provider runs without it.
    """

    name: str
    plan: Callable[[RunContext], Launch]
    external: Mapping[str, str]  # Endpoints field -> HARNESS_* variable
    external_label: str
    compose_name: str | None = None
    ports: tuple[Port, ...] = ()
    endpoints: EndpointsFn | None = None
    container: Callable[[Mapping[str, Any], Credentials], ContainerRun] | None = None
    factory: Callable[[ContainerSpec], DockerContainer] | None = None
    compose_optional: bool = False
    external_optional: bool = False
    version: Callable[[Endpoints], str] | None = None  # the running service's version, read through its endpoint

    @property
    def container_ports(self) -> tuple[int, ...]:
        return tuple(port.container for port in self.ports)

    def absent_fields(self) -> dict[str, Any]:
        """Empty Endpoints fields for a stack without this service."""
        return dict.fromkeys(self.external, "")


def image_of(compose_service: Mapping[str, Any]) -> str:
    """The pinned image of a compose.yaml service (a literal tag, no interpolation)."""
    return str(compose_service["image"])
