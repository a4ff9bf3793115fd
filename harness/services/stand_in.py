"""What the harness's stand-in servers share: an ``httpx.MockTransport`` served over real HTTP, and
kernia-test-utils' MockStripe and MockIdP loaded without the package's ``__init__``.

The mocks answer ``httpx.Request`` objects in-process; ``forward`` turns each incoming HTTP request into
one, so the backend under test talks to them through a real socket exactly as it would to the real
service.

``import kernia_test_utils`` imports every helper it ships (pytest, the SAML and WebAuthn mocks,
testcontainers glue): ~1.4 s of CPU per process. Both mocks are self-contained modules (stdlib, httpx,
cryptography), so each fake server loads just its file from the installed package, which keeps the native
stack's cold start on two cores short.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from harness.ports import LOCALHOST
from harness.services import STAND_IN_VERSION_HEADER

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


def address_arguments(description: str) -> tuple[str, int]:
    """Parse ``--host`` (default 127.0.0.1; a container bridge's gateway where containers must reach the fake) and
    ``--port`` for a fake's ``python -m`` entry point."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default=LOCALHOST)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    return str(args.host), int(args.port)


def run(app: Starlette, port: int, *, host: str = LOCALHOST, stand_in_version: str | None = None) -> None:
    """Serve ``app`` on ``host``:``port`` until SIGTERM; with ``stand_in_version``, every answer carries it in
    STAND_IN_VERSION_HEADER, so the report reads the running stand-in's version as it reads a real service's."""
    headers = [(STAND_IN_VERSION_HEADER, stand_in_version)] if stand_in_version else None
    uvicorn.run(app, host=host, port=port, log_level="warning", headers=headers)


def _load(module: str) -> ModuleType:
    spec = importlib.util.find_spec("kernia_test_utils")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("kernia-test-utils is not installed: pip install 'kernia-test-utils[pytest]'")
    path = Path(next(iter(spec.submodule_search_locations))) / f"{module}.py"
    name = f"_kernia_test_utils_{module}"
    loaded = importlib.util.spec_from_file_location(name, path)
    assert loaded is not None and loaded.loader is not None
    mod = importlib.util.module_from_spec(loaded)
    sys.modules[name] = mod  # dataclasses resolve annotations through sys.modules
    loaded.loader.exec_module(mod)
    return mod


def mock_stripe() -> Any:
    """A new kernia_test_utils.mock_stripe.MockStripe."""
    return _load("mock_stripe").MockStripe()


def mock_idp(issuer: str) -> Any:
    """A new kernia_test_utils.mock_idp.MockIdP for ``issuer``."""
    return _load("mock_idp").MockIdP(issuer=issuer)
