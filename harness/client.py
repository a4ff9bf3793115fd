"""An HTTP client for a deployed Kernia backend, as a browser on the frontend's origin would use it.

Each client sends from its own loopback address (127.0.0.0/8), like a distinct user on the internet: the
backend's per-IP rate limits then keep parallel checks apart, and the rate-limit checks see one real client.
"""

from __future__ import annotations

import itertools
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from harness import tls

SESSION_COOKIE = "better-auth.session_token"
REQUEST_ID_HEADER = "x-request-id"  # the backend echoes it on every answer (the project's client_ip.py)
PASSWORD = "correct-Horse-battery-9"  # test users' password: not a secret, these accounts live for one run

_addresses = itertools.count(2)


def next_loopback_address() -> str:
    """A loopback source address unique to this client: 127.<process>.<n>.<n>, where <process> is the xdist
    worker's number (gw0 -> 2) so parallel workers never share one, and 1 outside xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    process = 2 + int(worker[2:]) % 250 if worker.startswith("gw") and worker[2:].isdigit() else 1
    n = next(_addresses)
    return f"127.{process}.{(n // 250) % 250}.{n % 250 + 1}"


def unique_email(label: str, domain: str = "example.com") -> str:
    """An address no earlier run used, so checks never collide on sign-up."""
    return f"{label}-{uuid.uuid4().hex[:10]}@{domain}"


# 5xx answers this process received, as (request id, what answered): a failing check's report carries the backend's
# log lines for them (harness.failfast); cleared before each check.
server_errors: list[tuple[str, str]] = []


def note_server_error(response: httpx.Response) -> None:
    """httpx response hook: remember a 5xx answer's request id."""
    request_id = response.headers.get(REQUEST_ID_HEADER)
    if response.status_code >= 500 and request_id:
        request = response.request
        server_errors.append((request_id, f"{request.method} {request.url.path} answered {response.status_code}"))


@dataclass
class Account:
    """Credentials of a test user; ``user_id`` is filled in by a successful sign-up."""

    email: str
    password: str = PASSWORD
    user_id: str | None = None


class AuthClient:
    """Calls the auth API under ``auth_base_url`` with a cookie jar, from the frontend's origin."""

    def __init__(self, auth_base_url: str, origin: str, *, local_address: str | None = None) -> None:
        self.auth_base_url = auth_base_url.rstrip("/")
        self.origin = origin
        self.local_address = local_address or next_loopback_address()
        self.http = httpx.Client(
            transport=tls.transport(self.local_address),
            # The client's true address, as a proxy would forward it: a backend that ignores untrusted
            # X-Forwarded-For (the project's rule) sees the same address from the socket; one that trusts it
            # (Kernia's stock behaviour, the negative control) still keys each client's rate limits apart.
            headers={"Origin": origin, "X-Forwarded-For": self.local_address},
            timeout=20,
            event_hooks={"response": [note_server_error]},
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> AuthClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        return f"{self.auth_base_url}{path}"

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.post(self.url(path), json=json if json is not None else {}, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(self.url(path), **kwargs)

    @property
    def session_cookie(self) -> str | None:
        return self.http.cookies.get(SESSION_COOKIE)

    def sign_up(self, account: Account, name: str = "Rehearsal User") -> httpx.Response:
        """Sign up with email and password; records the new user's id on ``account``."""
        response = self.post("/sign-up/email", {"email": account.email, "password": account.password, "name": name})
        if response.status_code == 200:
            account.user_id = (response.json().get("user") or {}).get("id")
        return response

    def sign_in(self, account: Account) -> httpx.Response:
        return self.post("/sign-in/email", {"email": account.email, "password": account.password})

    def get_session(self) -> dict[str, Any] | None:
        """The current session and user, or None when the cookie signs no one in."""
        response = self.get("/get-session")
        response.raise_for_status()
        return response.json() if response.content and response.json() else None

    def sign_out(self) -> httpx.Response:
        return self.post("/sign-out")


def session_expiry(session: dict[str, Any]) -> datetime:
    """``expiresAt`` of a get-session answer as Kernia serialises it: epoch seconds or ms, or ISO-8601."""
    value = session["session"]["expiresAt"]
    if isinstance(value, int | float) or str(value).isdigit():
        seconds = float(value)
        return datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, tz=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


LINK = re.compile(r"https?://[^\s\"'<>)]+")


def links_in(text: str) -> list[str]:
    """URLs in an email body, without trailing punctuation."""
    return [link.rstrip(".,;") for link in LINK.findall(text)]
