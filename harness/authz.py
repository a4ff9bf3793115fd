"""The authorization matrix: every route the deployed backend serves, called as every kind of caller.

The routes and their declared policies come from the running backend (``GET /internal/routes`` with the
operator token), so a route Kernia adds is probed without anyone listing it. What each policy should admit is
written here, independently of the backend's own code, and the answer decides what happened: a caller is
*refused* when the backend answers 401 or 403 (404 for a server-only route); anything else means the request
got past authorization. Probes cannot change state: state-changing methods send a malformed JSON body, which an
admitted request gets back as a 400 before any handler runs (GET and DELETE probes name ids that do not exist).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import httpx

from harness import tls
from harness.client import next_loopback_address

PROBE_BODY = b"{"  # malformed on purpose: nothing behind authorization can act on it
PROBE_ID = "authz-probe-0000"
BODY_METHODS = ("POST", "PUT", "PATCH")

MEMBERS = ("user", "org_member", "org_admin", "org_owner", "instance_admin")
# Who each declared access level must admit; every other caller must be refused. A banned user presenting their
# API key is refused even on public routes: Kernia answers get-session for a key, and the ban must stop every
# credential (F05); without the key they are anonymous and admitted.
ADMITTED: Mapping[str, frozenset[str]] = {
    "PUBLIC": frozenset({"anonymous", *MEMBERS, "api_key", "scim_other_org", "operator", "stripe_signed"}),
    "USER": frozenset(MEMBERS),
    "ADMIN": frozenset({"instance_admin"}),
    "ORG_MEMBER": frozenset({"org_member", "org_admin", "org_owner"}),
    "ORG_ADMIN": frozenset({"org_admin", "org_owner"}),
    "ORG_OWNER": frozenset({"org_owner"}),
    "SCIM": frozenset({"scim_other_org"}),
    "STRIPE": frozenset({"stripe_signed"}),
    "OPERATOR": frozenset({"operator"}),
    "SERVER_ONLY": frozenset(),
}


@dataclass(frozen=True)
class Caller:
    """One kind of caller and the credentials it presents (cookie and/or headers)."""

    name: str
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RoutePolicy:
    method: str
    path: str
    access: str
    limit: Mapping[str, object] | None = None  # {"per_client": [max, seconds], "per_target": ..., "target": ...}


@dataclass(frozen=True)
class Cell:
    """One route x caller: what the policy says and what the backend did."""

    method: str
    route: str
    caller: str
    expected: str
    got: str
    status: int

    @property
    def ok(self) -> bool:
        return self.expected == self.got

    def as_row(self) -> dict[str, object]:
        return {**asdict(self), "ok": self.ok}


def operator_headers(ops_token: str) -> dict[str, str]:
    """The operator's credential, the vault's ``ops_token`` as a Bearer token: /metrics, /internal/routes and the
    detail of /readyz are for it alone."""
    return {"Authorization": f"Bearer {ops_token}"}


def served_routes(backend_url: str, ops_token: str) -> list[RoutePolicy]:
    response = httpx.get(f"{backend_url}/internal/routes", headers=operator_headers(ops_token), timeout=10)
    response.raise_for_status()
    return [RoutePolicy(r["method"], r["path"], r["access"], r.get("limit")) for r in response.json()["routes"]]


def concrete_path(template: str, value: str = PROBE_ID) -> str:
    """A served path for a route template: every ``:param`` / ``{param}`` becomes ``value`` (by default an id that
    does not exist)."""
    return re.sub(r":[A-Za-z_]+|\{[A-Za-z_]+\}", value, template)


def probe(client: httpx.Client, backend_url: str, route: RoutePolicy, caller: Caller, organization_id: str) -> Cell:
    """Call ``route`` as ``caller`` once and classify the answer."""
    expected = "admitted" if caller.name in ADMITTED.get(route.access, frozenset()) else "refused"
    headers = dict(caller.headers)
    content = None
    if route.method in BODY_METHODS:
        headers["Content-Type"] = "application/json"
        content = PROBE_BODY
    # Only organization routes name the organization: elsewhere a stray organizationId changes what Kernia does.
    params = {"organizationId": organization_id} if route.access.startswith("ORG_") else {}
    response = client.request(
        route.method,
        backend_url + concrete_path(route.path),
        params=params,
        headers=headers,
        content=content,
        follow_redirects=False,
    )
    refused = response.status_code in (401, 403) or (route.access == "SERVER_ONLY" and response.status_code == 404)
    got = "refused" if refused else "admitted"
    return Cell(route.method, route.path, caller.name, expected, got, response.status_code)


def matrix(
    backend_url: str, routes: Iterable[RoutePolicy], callers: Iterable[Caller], organization_id: str
) -> list[Cell]:
    """Every route x caller: one keep-alive client per caller, from its own loopback address (its own rate-limit
    bucket), a few callers at a time (the backend runs on the same cores)."""
    routes = list(routes)

    def run(caller: Caller) -> list[Cell]:
        address = next_loopback_address()
        transport = tls.transport(address)
        headers = {"X-Forwarded-For": address}  # the true address (see harness.client.AuthClient)
        with httpx.Client(transport=transport, headers=headers, cookies=dict(caller.cookies), timeout=20) as client:
            return [probe(client, backend_url, route, caller, organization_id) for route in routes]

    with ThreadPoolExecutor(max_workers=4) as pool:
        return [cell for cells in pool.map(run, callers) for cell in cells]


def summary(cells: list[Cell]) -> dict[str, object]:
    """Counts for the terminal and the report: routes, callers, cells, mismatches."""
    return {
        "routes": len({(c.method, c.route) for c in cells}),
        "callers": len({c.caller for c in cells}),
        "cells": len(cells),
        "mismatches": sum(not c.ok for c in cells),
    }
