"""Static frontend server: the page's own files (and nothing else beside them) plus ``/config.js``.

``/config.js`` carries AUTH_BASE_URL. Only the files in ``PAGE_FILES`` are served: this module, a ``.env`` or
anything else that lands in the directory is never sent to a browser.

Run: ``AUTH_BASE_URL=http://127.0.0.1:8000/api/auth uvicorn app:app --app-dir frontend --port 5173``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

STATIC_DIR = Path(__file__).resolve().parent
PAGE_FILES = {
    "/": "index.html",
    "/index.html": "index.html",
    "/app.js": "app.js",
    "/style.css": "style.css",
}
# The page loads its scripts and styles from itself and talks to the auth API only.
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
NOT_FOUND = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Not found</title></head>"
    "<body><p>There is no page here. <a href='/'>Go to your account</a>.</p></body></html>"
)


def _csp() -> str:
    auth = os.environ.get("AUTH_BASE_URL", "")
    scheme, _, rest = auth.partition("://")
    origin = f"{scheme}://{rest.split('/', 1)[0]}" if rest else "'self'"
    return (
        f"default-src 'self'; connect-src 'self' {origin}; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )


async def page_file(request: Request) -> Response:
    name = PAGE_FILES[request.url.path]
    headers = {**SECURITY_HEADERS, "cache-control": "no-cache"}
    if name == "index.html":
        headers["content-security-policy"] = _csp()
    return FileResponse(STATIC_DIR / name, headers=headers)


async def config_js(request: Request) -> Response:
    base_url = os.environ.get("AUTH_BASE_URL", "").rstrip("/")
    body = f"window.KERNIA_AUTH_URL = {json.dumps(base_url)};\n"
    headers = {**SECURITY_HEADERS, "cache-control": "no-store"}
    return Response(body, media_type="application/javascript", headers=headers)


async def not_found(request: Request, exc: Exception) -> Response:
    return HTMLResponse(NOT_FOUND, status_code=404, headers=SECURITY_HEADERS)


app = Starlette(
    routes=[
        Route("/config.js", config_js, methods=["GET"]),
        *(Route(path, page_file, methods=["GET"]) for path in PAGE_FILES),
    ],
    exception_handlers={404: not_found},
)
