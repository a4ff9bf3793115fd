"""The policy gateway: one ASGI layer in front of the whole app that enforces ``policy`` for every request.

For each request it finds the served route (an app route, else a Kernia route under the auth mount), refuses
routes without a policy entry and server-only routes, bounds and checks the body, identifies the caller and
admits or refuses them by the route's ``Access``. Kernia and the app only ever see admitted requests with a
well-formed body. The caller is left in ``scope["state"]["caller"]`` for the routes that need it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from kernia.cookies import parse_cookie_header
from starlette.routing import BaseRoute, Match, Mount

from ..asgi import ASGIApp, BodyTooLarge, HttpMiddleware, Receive, Scope, Send, read_body, replay, send_json
from .bodies import BodyError, conform, parse_form, parse_json, validation_problems
from .callers import ANONYMOUS, API_KEY_HEADER, Caller, CallerResolver, origin_of
from .policy import ADMITS, ORG_ACCESS_RANK, ORG_ROLE_RANK, Access, Route, RouteTable

log = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"
BODILESS = frozenset({"GET", "HEAD", "DELETE"})
PEOPLE = frozenset({Access.USER, Access.ADMIN, *ORG_ACCESS_RANK})  # routes whose caller is a person


@dataclass(frozen=True)
class Refusal(Exception):
    status: int
    code: str
    message: str


@dataclass(frozen=True)
class Served:
    """A request matched to a served route: its policy entry (None when unlisted) and Kernia body type."""

    label: str
    route: Route | None
    body_type: type | None = None
    path_params: Mapping[str, Any] = field(default_factory=dict)


class PolicyGateway(HttpMiddleware):
    def __init__(
        self,
        app: ASGIApp,
        *,
        table: RouteTable,
        auth_path: str,
        kernia_router: Callable[[], Any],
        app_routes: Callable[[], Sequence[BaseRoute]],
        resolver: CallerResolver,
    ) -> None:
        super().__init__(app)
        self.table = table
        self.auth_path = auth_path
        self.kernia_router = kernia_router
        self.app_routes = app_routes
        self.resolver = resolver

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            served = self._served(scope)
            if served is None:  # nothing serves this path: the app's own 404, nothing runs
                await self.app(scope, receive, send)
                return
            scope, receive = await self._admit(scope, receive, served)
        except Refusal as refusal:
            await send_json(send, refusal.status, {"code": refusal.code, "message": refusal.message})
            return
        await self.app(scope, receive, send)

    def _served(self, scope: Scope) -> Served | None:
        method, path = scope["method"], scope["path"]
        for route in self.app_routes():
            if isinstance(route, Mount):
                continue
            match, child = route.matches(scope)
            if match is Match.FULL:
                template = getattr(route, "path", path)
                params = child.get("path_params", {})
                return Served(
                    f"{method} {template}", self.table.app.get((method, template)), path_params=params
                )
        if path != self.auth_path and not path.startswith(self.auth_path + "/"):
            return None
        router = self.kernia_router()
        if router is None:
            raise Refusal(503, "NOT_READY", "The backend is starting; retry in a moment.")
        matched = router.match(method, path[len(self.auth_path) :] or "/")
        if matched is None:
            return None
        endpoint, params = matched
        return Served(
            f"{method} {self.auth_path}{endpoint.path}",
            self.table.auth.get((method, endpoint.path)),
            endpoint.options.body,
            params,
        )

    async def _admit(self, scope: Scope, receive: Receive, served: Served) -> tuple[Scope, Receive]:
        route = served.route
        if route is None:
            log.error("refused %s: the route has no entry in the policy table", served.label)
            raise Refusal(403, "NO_POLICY", "This route has no access policy and is refused.")
        if route.access is Access.SERVER_ONLY:
            raise Refusal(404, "NOT_FOUND", "Not found.")
        if (problem := _malformed_parameter(scope, served.path_params)) is not None:
            raise Refusal(400, "INVALID_REQUEST", problem)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            body = await read_body(
                receive, limit=route.body_limit, declared=headers.get("content-length", "")
            )
        except BodyTooLarge as exc:
            raise Refusal(
                413, "BODY_TOO_LARGE", f"The body exceeds {exc.limit} bytes for this route."
            ) from None
        if body and scope["method"] in BODILESS:
            # Kernia ignores such a body, so nothing may decide on it (e.g. which organization is meant).
            raise Refusal(400, "INVALID_REQUEST", f"A {scope['method']} request carries no body.")
        document, problem = _decode(body, headers, route)
        decoded = document
        if document is None and served.body_type is not None and scope["method"] not in BODILESS:
            document = {}  # sent as such: Kernia hands a missing body to the handler as None, a 500
        caller = ANONYMOUS
        # Public routes skip the lookups, except a bearer token (operator details on /readyz; no database) and
        # an API key (Kernia answers get-session for one: a banned user's key must be refused there too).
        key = API_KEY_HEADER in headers
        if route.access is not Access.PUBLIC or "authorization" in headers or key:
            cookies = (
                parse_cookie_header(headers.get("cookie", "")) if route.access is not Access.PUBLIC else {}
            )
            caller = await self.resolver.resolve(headers, cookies, user=route.access in PEOPLE or key)
            await self._authorize(route.access, caller, _organization_id(scope, document))
        if problem is None and document is not None:
            try:
                document = conform(served.body_type, document)
            except BodyError as exc:
                problem = str(exc)
            else:
                problems = validation_problems(served.body_type, document)
                problem = ("invalid fields: " + "; ".join(problems)) if problems else None
        if problem is not None:
            raise Refusal(400, "INVALID_REQUEST", problem)
        if route.form and _is_form(headers) and headers.get("origin"):
            scope = await self._trust_idp_origin(scope, headers["origin"])
        if document is not decoded or (route.form and _is_form(headers)):  # re-encode only what changed
            body = json.dumps(document).encode()
            kept = [
                (k, v) for k, v in scope["headers"] if k.lower() not in (b"content-length", b"content-type")
            ]
            kept += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            scope = {**scope, "headers": kept}
        scope = {**scope, "state": {**scope.get("state", {}), "caller": caller}}
        return scope, replay(body)

    async def _trust_idp_origin(self, scope: Scope, origin: str) -> Scope:
        """SAML's HTTP-POST binding: the IdP's page posts the signed response to the ACS from the IdP's
        origin, which Kernia's CSRF check would refuse. When the Origin is that provider's own IdP, the
        origin headers are dropped before Kernia (the signed, solicited, single-use response is the proof)."""
        provider_id = scope["path"].rstrip("/").rsplit("/", 1)[-1]
        if origin_of(origin) != await self.resolver.saml_idp_origin(provider_id):
            return scope
        kept = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"origin", b"referer")]
        return {**scope, "headers": kept}

    async def _authorize(self, access: Access, caller: Caller, organization_id: str | None) -> None:
        if caller.banned:
            raise Refusal(403, "USER_BANNED", "This account is banned.")
        if access in ORG_ACCESS_RANK:
            if caller.kind in ("user", "admin"):
                rank = await self.resolver.org_role_rank(caller, organization_id, ORG_ROLE_RANK)
                if rank >= ORG_ACCESS_RANK[access]:
                    return
            admitted = False
        else:
            admitted = access in ADMITS[caller.kind]
        if admitted:
            return
        if not caller.presented:
            raise Refusal(401, "UNAUTHORIZED", f"Sign in first: this route requires {access.value}.")
        raise Refusal(403, "FORBIDDEN", f"This route requires {access.value}.")


def _malformed_parameter(scope: Scope, path_params: Mapping[str, Any]) -> str | None:
    """What is wrong with the path parameters or the query string, if anything. Kernia turns a repeated query
    parameter into a list and passes a NUL on to the database (which refuses it), and its handlers answer both
    with a 500. Other control characters are text the routes check themselves (an email link's callbackURL
    with a line break is refused by a redirect to the frontend, which a person clicking it can read)."""
    for name, value in path_params.items():
        if "\x00" in str(value):
            return f"The path parameter {name} contains a NUL character."
    if "\x00" in scope["path"]:
        return "The path contains a NUL character."
    try:
        query = scope.get("query_string", b"").decode("ascii")
        pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return "The query string is not valid percent-encoded UTF-8."
    seen: set[str] = set()
    for name, value in pairs:
        shown = name.encode("unicode_escape").decode("ascii")
        if "\x00" in name or "\x00" in value:
            return f"The query parameter {shown} contains a NUL character."
        if name in seen:
            return f"The query parameter {shown} is repeated; send it once."
        seen.add(name)
    return None


def _decode(body: bytes, headers: dict[str, str], route: Route) -> tuple[Any, str | None]:
    """The body as a JSON document (None when empty) and the problem with it, if any."""
    if not body:
        return None, None
    try:
        if route.form and _is_form(headers):
            return parse_form(body), None
        return parse_json(body), None
    except BodyError as exc:
        return None, str(exc)


def _is_form(headers: dict[str, str]) -> bool:
    return headers.get("content-type", "").split(";")[0].strip().lower() == FORM


def _organization_id(scope: Scope, document: Any) -> str | None:
    """The organization the request names. Kernia reads it from the body or the query depending on the
    route, so if both name one they must agree: else the gateway could check one and Kernia act on another."""
    keys = ("organizationId", "organization_id")
    named = set()
    if isinstance(document, dict):
        named |= {v for k in keys if isinstance(v := document.get(k), str) and v}
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    named |= {v for k in keys for v in query.get(k, []) if v}
    if len(named) > 1:
        raise Refusal(400, "INVALID_REQUEST", "The request names more than one organizationId; send one.")
    return next(iter(named), None)
