"""Mailpit stand-in: an aiosmtpd SMTP server plus the part of Mailpit's /api/v1 REST API the harness uses.

Used when no ``mailpit`` binary is installed. Like Mailpit started with ``--smtp-auth-accept-any
--smtp-auth-allow-insecure``, it accepts AUTH PLAIN/LOGIN with any credentials without TLS (and mail
without AUTH), and records the login as the message's ``Username``.

With ``--enable-chaos`` (Mailpit's flag) it serves ``/api/v1/chaos`` and SMTP refuses mail as configured there
(harness.services.mail.chaos).

Run: ``python -m harness.services.mail.sink --smtp-port A --http-port B [--enable-chaos]`` (binds 127.0.0.1 only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
from typing import Any

import uvicorn
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from harness import __version__
from harness.ports import LOCALHOST
from harness.services.mail.chaos import Chaos, ChaosConfigError
from harness.services.mail.store import MailStore, SearchSyntaxError

VERSION = __version__  # the sink's own version in /api/v1/info, as Mailpit answers with its own


class SinkHandler:
    """aiosmtpd handler: accept every login and store every message, unless a chaos trigger refuses it."""

    def __init__(self, store: MailStore, chaos: Chaos) -> None:
        self.store = store
        self.chaos = chaos

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        """Accept every login (keeping the user name, never the password), like ``--smtp-auth-accept-any``."""
        refusal = self.chaos.refusal("Authentication")
        if refusal:
            return AuthResult(success=False, handled=False, message=refusal)
        login = data.login.decode(errors="replace") if isinstance(data, LoginPassword) else ""
        return AuthResult(success=True, auth_data=login)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self.chaos.refusal("Sender")
        if refusal is None:
            envelope.mail_from = address
            envelope.mail_options.extend(options)
        return refusal or "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self.chaos.refusal("Recipient")
        if refusal is None:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
        return refusal or "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Store the accepted message with its envelope and SMTP AUTH user."""
        raw = envelope.original_content or envelope.content or b""
        username = session.auth_data if isinstance(session.auth_data, str) else ""
        self.store.add(bytes(raw), envelope.mail_from or "", list(envelope.rcpt_tos), username)
        return "250 OK: queued"


def build_app(store: MailStore, chaos: Chaos) -> Starlette:
    """The HTTP API over ``store`` and ``chaos``."""

    def _page(request: Request) -> tuple[int, int]:
        try:
            return int(request.query_params.get("start", 0)), int(request.query_params.get("limit", 50))
        except ValueError:
            return 0, 50

    async def messages(request: Request) -> Response:
        """Mailpit's list (GET, paged) and delete (DELETE, all or by IDs) of messages."""
        if request.method == "DELETE":
            body = await request.body()
            ids = (await request.json()).get("IDs") if body else None
            store.delete(ids or None)
            return PlainTextResponse("ok")
        start, limit = _page(request)
        return JSONResponse(store.listing(store.search(None), start, limit))

    async def search(request: Request) -> Response:
        """Mailpit's search: list or delete the messages matching ``query``."""
        query = request.query_params.get("query", "")
        try:
            found = store.search(query)
        except SearchSyntaxError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        if request.method == "DELETE":
            store.delete([m.id for m in found])
            return PlainTextResponse("ok")
        start, limit = _page(request)
        return JSONResponse(store.listing(found, start, limit))

    def _find(request: Request) -> Any:
        return store.get(request.path_params["id"])

    async def message(request: Request) -> Response:
        found = _find(request)
        if found is None:
            return PlainTextResponse("Not found", status_code=404)
        found.read = True
        return JSONResponse(found.detail())

    async def headers(request: Request) -> Response:
        found = _find(request)
        if found is None:
            return PlainTextResponse("Not found", status_code=404)
        return JSONResponse(found.headers())

    async def raw(request: Request) -> Response:
        found = _find(request)
        if found is None:
            return PlainTextResponse("Not found", status_code=404)
        return Response(found.raw, media_type="text/plain")

    async def info(_request: Request) -> Response:
        data = store.info(VERSION)
        data["RuntimeStats"]["Memory"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return JSONResponse(data)

    async def chaos_triggers(request: Request) -> Response:
        """Mailpit's GET/PUT /api/v1/chaos; 400 with a plain-text reason when disabled or invalid."""
        if not chaos.enabled:
            return PlainTextResponse("Chaos is not enabled", status_code=400)
        if request.method == "PUT":
            try:
                chaos.replace(json.loads(await request.body() or b"{}"))
            except (ValueError, ChaosConfigError) as exc:
                return PlainTextResponse(str(exc), status_code=400)
        return JSONResponse(chaos.document())

    async def ok(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/api/v1/messages", messages, methods=["GET", "DELETE"]),
            Route("/api/v1/search", search, methods=["GET", "DELETE"]),
            Route("/api/v1/message/{id}", message),
            Route("/api/v1/message/{id}/headers", headers),
            Route("/api/v1/message/{id}/raw", raw),
            Route("/api/v1/info", info),
            Route("/api/v1/chaos", chaos_triggers, methods=["GET", "PUT"]),
            Route("/livez", ok),
            Route("/readyz", ok),
        ]
    )


async def serve(smtp_port: int, http_port: int, enable_chaos: bool) -> None:
    """Run SMTP and HTTP in one event loop until SIGTERM/SIGINT (uvicorn handles the signals)."""
    store, chaos = MailStore(), Chaos(enabled=enable_chaos)
    handler = SinkHandler(store, chaos)
    loop = asyncio.get_running_loop()
    smtp = await loop.create_server(
        lambda: SMTP(handler, authenticator=handler.authenticate, auth_require_tls=False, hostname="mailsink"),
        host=LOCALHOST,
        port=smtp_port,
    )
    try:
        config = uvicorn.Config(build_app(store, chaos), host=LOCALHOST, port=http_port, log_level="warning")
        await uvicorn.Server(config).serve()
    finally:
        smtp.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--enable-chaos", action="store_true", help="serve /api/v1/chaos, as Mailpit's flag does")
    args = parser.parse_args()
    asyncio.run(serve(args.smtp_port, args.http_port, args.enable_chaos))


if __name__ == "__main__":
    main()
