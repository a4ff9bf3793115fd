"""Step 6, intrusion: every rate limit the deployed backend declares holds, per client address and per target.

The limits come from the running backend (``/internal/routes`` lists each auth route's windows), so a route that
gains a limit is proven without anyone listing it here. For each public limited route: ``max + 1`` requests from
one address, each naming a different person, must meet a 429 (the client key); ``max + 1`` requests naming one
person, each from a different address, must meet a 429 too (the target key, so no fresh bucket for a caller who
changes address or carries their own session). The probes name addresses nobody owns and wrong secrets, so they
sign no one in and mail no real person. Each probe has its own addresses and target, so the probes run side by
side (the requests wait on the backend's password hashing, not on each other).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import httpx
import pytest

from harness import authz, tls
from harness.client import next_loopback_address

pytestmark = pytest.mark.intrusion

WRONG_PASSWORD = "wrong-Passw0rd-1"
PROBES_AT_ONCE = 4


def probe_body(target: str) -> dict[str, Any]:
    """One body every limited route accepts far enough to reach its limiter, and no route acts on."""
    return {
        "email": target,
        "password": WRONG_PASSWORD,
        "name": "Rate Limit Probe",
        "otp": "000000",
        "code": "000000",
        "token": "rate-limit-probe",
        "type": "sign-in",
        "newPassword": "New-wrong-Passw0rd-1",
        "phoneNumber": "+15550100" + str(uuid.uuid4().int % 100).zfill(2),
        "callbackURL": "/",
        "SAMLResponse": "cHJvYmU=",
    }


def fresh_client(origin: str) -> httpx.Client:
    address = next_loopback_address()
    return httpx.Client(
        transport=tls.transport(address), headers={"Origin": origin, "X-Forwarded-For": address}, timeout=20
    )


def call(client: httpx.Client, backend_url: str, route: authz.RoutePolicy, target: str) -> int:
    """The answer's status; a link opened from an email answers a limit with a redirect to the frontend that
    says ``error=TOO_MANY_REQUESTS``, which counts as the 429 it stands for."""
    url = backend_url + authz.concrete_path(route.path)
    body = probe_body(target)
    if route.method == "GET":
        query = {k: v for k, v in body.items() if k in ("token", "callbackURL")}
        response = client.get(url, params=query, follow_redirects=False)
    else:
        response = client.request(route.method, url, json=body, follow_redirects=False)
    if response.is_redirect and "error=TOO_MANY_REQUESTS" in response.headers.get("location", ""):
        return 429
    return response.status_code


def fresh_target() -> str:
    return f"rl-{uuid.uuid4().hex[:10]}@example.com"


def per_client_problem(backend_url: str, origin: str, route: authz.RoutePolicy, window: list[int]) -> str | None:
    with fresh_client(origin) as client:
        statuses = [call(client, backend_url, route, fresh_target()) for _ in range(window[0] + 1)]
    if 429 not in statuses:
        return f"{route.method} {route.path}: {len(statuses)} requests from one address, no 429 ({statuses})"
    return None


def per_target_problem(backend_url: str, origin: str, route: authz.RoutePolicy, window: list[int]) -> str | None:
    target = fresh_target()
    statuses = []
    for _ in range(window[0] + 1):
        with fresh_client(origin) as client:
            statuses.append(call(client, backend_url, route, target))
    if 429 not in statuses:
        return f"{route.method} {route.path}: {len(statuses)} requests for one target from fresh addresses, no 429"
    return None


@pytest.fixture(scope="module")
def limited_routes(backend_url: str, backend_secrets: dict[str, str]) -> Iterator[list[authz.RoutePolicy]]:
    routes = authz.served_routes(backend_url, backend_secrets["ops_token"])
    # Public routes only: the others sit behind the gateway's access rule, which the authorization matrix proves.
    yield [r for r in routes if r.access == "PUBLIC" and r.limit and r.limit.get("per_client")]


def test_rate_limit_of_every_limited_public_route_holds_per_client_and_per_target(
    limited_routes: list[authz.RoutePolicy], backend_url: str, frontend_url: str
) -> None:
    assert len(limited_routes) >= 10, f"the backend declares limits on only {len(limited_routes)} public routes"
    probes: list[Callable[[], str | None]] = []
    for route in limited_routes:
        limit: Mapping[str, Any] = route.limit or {}
        probes.append(partial(per_client_problem, backend_url, frontend_url, route, limit["per_client"]))
        if limit.get("per_target") and limit.get("target") == "email":
            probes.append(partial(per_target_problem, backend_url, frontend_url, route, limit["per_target"]))
    with ThreadPoolExecutor(max_workers=PROBES_AT_ONCE, thread_name_prefix="rate-limit-probe") as pool:
        failed = [problem for problem in pool.map(lambda probe: probe(), probes) if problem]
    assert not failed, f"{len(failed)} declared rate limits did not hold: " + "; ".join(failed)
