"""Backends a drill runs next to the deployed one: same project and Vault secret, their own port and process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from harness.actions import client_for
from harness.app import start_backend
from harness.client import AuthClient
from harness.deploy.context import Context
from harness.process import stop_record


@dataclass(frozen=True)
class Backend:
    """A backend a drill started, with the origin its browsers send."""

    url: str
    auth_base_url: str
    origin: str  # the frontend's: browsers of the drill send it, as the deployed frontend's would

    def client(self, cookie: str | None = None) -> AuthClient:
        """A browser talking to this backend, optionally returning with a session cookie."""
        return client_for(self.auth_base_url, self.origin, cookie=cookie)


def on_database(url: str, database: str) -> str:
    """``url`` (same role, password and server) pointed at another database of that server."""
    return urlsplit(url)._replace(path=f"/{database}").geturl()


@contextmanager
def own_backend(ctx: Context, name: str, *, database_url: str | None = None) -> Iterator[Backend]:
    """Start a backend that reads Vault now (as a restart would), on ``database_url`` if given; stop it on exit."""
    record, url = start_backend(ctx, name=name, database_url=database_url)
    try:
        yield Backend(url, f"{url}{ctx.project.auth_path}", ctx.deployment.deployed().frontend_url)
    finally:
        stop_record(record)
