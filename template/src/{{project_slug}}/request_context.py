"""Per-request facts (request id, client address, user agent) shared by middleware, hooks and logs."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    request_id: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None


_current: ContextVar[RequestInfo] = ContextVar("request_info", default=RequestInfo())  # noqa: B039 (frozen)


def current() -> RequestInfo:
    return _current.get()


def bind(info: RequestInfo) -> None:
    """Set for the running request task; every await below it (Kernia hooks included) sees it."""
    _current.set(info)
