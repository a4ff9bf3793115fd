"""Client for Mailpit's REST API (/api/v1), used with every provider: real Mailpit or the harness's sink."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from harness import tls


@dataclass(frozen=True)
class MailMessage:
    """One message as Mailpit's GET /api/v1/message/{ID} returns it; ``data`` keeps the full document."""

    id: str
    subject: str
    sender: str
    to: tuple[str, ...]
    text: str
    html: str
    data: dict[str, Any]

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> MailMessage:
        return cls(
            id=data["ID"],
            subject=data.get("Subject", ""),
            sender=(data.get("From") or {}).get("Address", ""),
            to=tuple(a["Address"] for a in data.get("To") or ()),
            text=data.get("Text", ""),
            html=data.get("HTML", ""),
            data=data,
        )


def _quote(value: str) -> str:
    return f'"{value}"' if any(c.isspace() for c in value) else value


def search_query(*, to: str | None = None, subject: str | None = None) -> str:
    """A Mailpit search string: ``to:a@b.c subject:"Reset your password"``."""
    terms = [f"to:{_quote(to)}" if to else "", f"subject:{_quote(subject)}" if subject else ""]
    return " ".join(t for t in terms if t)


class MailpitClient:
    """List, search, read and clear the mailbox; ``wait_for`` polls until a matching message arrives."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout, verify=tls.CONTEXT)

    def close(self) -> None:
        self.http.close()

    def _json(self, response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json()

    def messages(self, *, limit: int = 50) -> list[dict[str, Any]]:
        """Message summaries, newest first."""
        return self._json(self.http.get("/api/v1/messages", params={"limit": limit}))["messages"]

    def search(self, query: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """Summaries of messages matching a Mailpit search query, newest first."""
        params = {"query": query, "limit": limit}
        return self._json(self.http.get("/api/v1/search", params=params))["messages"]

    def get(self, message_id: str) -> MailMessage:
        """The full message (``latest`` for the newest one)."""
        return MailMessage.from_api(self._json(self.http.get(f"/api/v1/message/{message_id}")))

    def headers(self, message_id: str) -> dict[str, list[str]]:
        return self._json(self.http.get(f"/api/v1/message/{message_id}/headers"))

    def info(self) -> dict[str, Any]:
        return self._json(self.http.get("/api/v1/info"))

    def delete_all(self) -> None:
        self.http.delete("/api/v1/messages").raise_for_status()

    def chaos(self) -> dict[str, dict[str, int]]:
        """Mailpit's chaos triggers (400 unless started with chaos enabled)."""
        return self._json(self.http.get("/api/v1/chaos"))

    def set_chaos(self, triggers: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        """Replace the chaos triggers, e.g. ``{"Recipient": {"ErrorCode": 451, "Probability": 100}}``; triggers
        left out are reset, so ``{}`` turns chaos off. Returns the configuration now in force."""
        return self._json(self.http.put("/api/v1/chaos", json=triggers))

    @contextmanager
    def refusing(self, *, stage: str = "Recipient", code: int = 451, probability: int = 100) -> Iterator[None]:
        """SMTP refuses mail with ``code`` at ``stage`` (Sender, Recipient, Authentication) inside the block."""
        self.set_chaos({stage: {"ErrorCode": code, "Probability": probability}})
        try:
            yield
        finally:
            self.set_chaos({})

    def wait_for(
        self,
        *,
        to: str | None = None,
        subject: str | None = None,
        timeout: float = 15.0,
        interval: float = 0.2,
    ) -> MailMessage:
        """The newest message to ``to`` whose subject contains ``subject`` (case-insensitive), waiting up to
        ``timeout`` seconds; AssertionError lists what did arrive if none matches."""
        query = search_query(to=to, subject=subject)
        deadline = time.monotonic() + timeout
        while True:
            found = self.search(query) if query else self.messages()
            if found:
                return self.get(found[0]["ID"])
            if time.monotonic() > deadline:
                seen = [(m.get("Subject"), [a["Address"] for a in m.get("To") or ()]) for m in self.messages()]
                raise AssertionError(f"no email matching {query!r} within {timeout:.0f} s; mailbox: {seen}")
            time.sleep(interval)
