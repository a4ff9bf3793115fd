"""OIDC identity provider for the SSO checks: kernia-test-utils' MockIdP served over real HTTP.

MockIdP supplies discovery, JWKS, token (RS256 id_token) and userinfo; this server adds what a browser
flow needs around it: ``GET /authorize`` redirects to ``redirect_uri`` with a one-time code and the
caller's ``state``, and ``POST /token`` accepts only such a code with the same client and redirect URI,
then issues an id_token whose audience is that client. Any client secret is accepted.

Like a real IdP, it only redirects to registered redirect URIs: ``POST /_harness/clients`` with
``{"client_id": ..., "redirect_uris": [...]}`` registers a client (the deployment's configure_callbacks step
does this); ``/authorize`` refuses an unknown client or an unregistered redirect URI.

The harness chooses who signs in next: ``POST /_harness/next-user`` with JSON
``{"email": ..., "email_verified": true, "sub": ..., "name": ...}`` queues that identity for the next
token exchange (without one, MockIdP asserts ``anonymous@test``).

Run: ``python -m harness.services.oidc.fake --port P`` (binds 127.0.0.1 only; issuer http://127.0.0.1:P).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from harness.services import mocks_version
from harness.services.stand_in import address_arguments, forward, mock_idp, run


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str


def _oauth_error(error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=400)


def build_app(issuer: str) -> Starlette:
    """The IdP's HTTP app: MockIdP's endpoints plus the authorize/token flow and harness hooks."""
    idp = mock_idp(issuer)
    transport = idp.mock_transport()
    grants: dict[str, _Grant] = {}
    clients: dict[str, set[str]] = {}

    async def authorize(request: Request) -> Response:
        """Redirect a registered client's redirect URI with a one-time code and the caller's state."""
        q = request.query_params
        missing = [k for k in ("client_id", "redirect_uri", "response_type") if not q.get(k)]
        if missing or q["response_type"] != "code":
            return _oauth_error("invalid_request", f"need response_type=code, client_id, redirect_uri {missing}")
        if q["redirect_uri"] not in clients.get(q["client_id"], set()):
            return _oauth_error("invalid_request", f"redirect_uri {q['redirect_uri']} is not registered")
        code = secrets.token_urlsafe(24)
        grants[code] = _Grant(q["client_id"], q["redirect_uri"])
        params = {"code": code, **({"state": q["state"]} if "state" in q else {})}
        sep = "&" if "?" in q["redirect_uri"] else "?"
        return RedirectResponse(f"{q['redirect_uri']}{sep}{urlencode(params)}", status_code=302)

    async def token(request: Request) -> Response:
        # OAuth token requests are application/x-www-form-urlencoded (RFC 6749 4.1.3)
        """Redeem a code once, for the client and redirect URI it was issued to."""
        form = dict(parse_qsl((await request.body()).decode()))
        grant = grants.pop(str(form.get("code", "")), None)
        if grant is None:
            return _oauth_error("invalid_grant", "unknown or already used authorization code")
        if (form.get("client_id"), form.get("redirect_uri")) != (grant.client_id, grant.redirect_uri):
            return _oauth_error("invalid_grant", "client_id or redirect_uri differs from the authorize request")
        idp.audience = grant.client_id
        return await forward(request, transport)

    async def next_user(request: Request) -> Response:
        """Queue the user the next sign-in authenticates as."""
        data = await request.json()
        email = data["email"]
        idp.create_user(
            sub=data.get("sub") or f"sub-{secrets.token_hex(8)}",
            email=email,
            name=data.get("name") or email.split("@")[0],
            email_verified=bool(data.get("email_verified", True)),
        )
        return JSONResponse({"queued": email})

    async def register_client(request: Request) -> Response:
        """Register a client's redirect URIs (done by the configure_callbacks step)."""
        data = await request.json()
        uris = data.get("redirect_uris")
        if not data.get("client_id") or not isinstance(uris, list) or not uris:
            return _oauth_error("invalid_client_metadata", "need client_id and a non-empty redirect_uris list")
        clients.setdefault(data["client_id"], set()).update(uris)
        return JSONResponse({"client_id": data["client_id"], "redirect_uris": sorted(clients[data["client_id"]])})

    async def passthrough(request: Request) -> Response:
        """Serve MockIdP's own endpoints (discovery, JWKS, userinfo) unchanged."""
        return await forward(request, transport)

    return Starlette(
        routes=[
            Route("/authorize", authorize),
            Route("/token", token, methods=["POST"]),
            Route("/_harness/next-user", next_user, methods=["POST"]),
            Route("/_harness/clients", register_client, methods=["POST"]),
            Route("/.well-known/openid-configuration", passthrough),
            Route("/.well-known/jwks.json", passthrough),
            Route("/userinfo", passthrough),
        ]
    )


if __name__ == "__main__":
    host, port = address_arguments(__doc__.splitlines()[0])
    run(build_app(f"http://{host}:{port}"), port, host=host, stand_in_version=mocks_version())
