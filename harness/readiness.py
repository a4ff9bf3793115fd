"""Readiness probes: small callables that say whether a service answers yet, and what they checked.

A probe returns True when ready; False or an exception means "not yet". Its ``description`` appears in
the error message when a service never becomes ready ("HTTP GET http://127.0.0.1:40123/v1/sys/health -> 200").
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from harness import tls
from harness.ports import LOCALHOST


class Probe:
    """One readiness check; subclasses implement ``check``."""

    description: str = "probe"
    last_error: str | None = None  # why the latest attempt failed, for the error message
    port: int | None = None  # the TCP port the probe reaches, where it reaches one

    def check(self) -> bool:
        raise NotImplementedError

    def __call__(self) -> bool:
        try:
            ready = self.check()
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            return False
        self.last_error = None if ready else "not ready"
        return ready

    def __str__(self) -> str:
        return self.description


@dataclass
class TcpOpen(Probe):
    """The port accepts TCP connections (the weakest signal: listening is not serving)."""

    port: int
    host: str = LOCALHOST

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"TCP connect {self.host}:{self.port}"

    def check(self) -> bool:
        with socket.create_connection((self.host, self.port), timeout=0.5):
            return True


@dataclass
class HttpStatus(Probe):
    """An HTTP GET answers with one of ``statuses`` (health endpoints, /readyz, /_localstack/health)."""

    url: str
    statuses: Collection[int] = (200,)
    headers: dict[str, str] | None = None

    @property
    def port(self) -> int | None:  # type: ignore[override]
        return urlsplit(self.url).port

    @property
    def description(self) -> str:  # type: ignore[override]
        expected = "/".join(str(s) for s in self.statuses)
        return f"HTTP GET {self.url} -> {expected}"

    def check(self) -> bool:
        response = tls.get(self.url, headers=self.headers, timeout=1.0)
        return response.status_code in self.statuses


@dataclass
class Custom(Probe):
    """Any callable, e.g. SQL ``select 1`` or redis PING, with a description for error messages."""

    what: str
    func: Callable[[], object]
    port: int | None = None  # the TCP port ``func`` reaches, where it reaches one

    @property
    def description(self) -> str:  # type: ignore[override]
        return self.what

    def check(self) -> bool:
        return bool(self.func())
