"""Serve an ``httpx.MockTransport`` (kernia-test-utils' MockStripe / MockIdP) over real HTTP.

The mocks answer ``httpx.Request`` objects in-process; this bridge turns each incoming HTTP request into
one, so the backend under test talks to them through a real socket exactly as it would to the real
service.
"""

from __future__ import annotations

import argparse

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

HOST = "127.0.0.1"
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "content-encoding"}


async def forward(request: Request, transport: httpx.BaseTransport) -> Response:
    """Answer ``request`` with what ``transport`` returns for the same method, URL, headers and body."""
    mock_request = httpx.Request(
        request.method,
        str(request.url),
        headers=[(k, v) for k, v in request.headers.items() if k.lower() != "host"],
        content=await request.body(),
    )
    reply = transport.handle_request(mock_request)
    reply.read()
    headers = {k: v for k, v in reply.headers.items() if k.lower() not in _HOP_BY_HOP}
    return Response(reply.content, status_code=reply.status_code, headers=headers)


def port_argument(description: str) -> int:
    """Parse ``--port`` for a fake's ``python -m`` entry point."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    return int(parser.parse_args().port)


def run(app: Starlette, port: int) -> None:
    """Serve ``app`` on 127.0.0.1:``port`` until SIGTERM."""
    uvicorn.run(app, host=HOST, port=port, log_level="warning")
