"""Static frontend server: the files beside this module plus ``/config.js`` from AUTH_BASE_URL.

Run: ``AUTH_BASE_URL=http://127.0.0.1:8000/api/auth uvicorn app:app --app-dir frontend --port 5173``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent


async def config_js(request: Request) -> Response:
    base_url = os.environ.get("AUTH_BASE_URL", "").rstrip("/")
    body = f"window.KERNIA_AUTH_URL = {json.dumps(base_url)};\n"
    return Response(body, media_type="application/javascript", headers={"cache-control": "no-store"})


app = Starlette(
    routes=[
        Route("/config.js", config_js),
        Mount("/", StaticFiles(directory=STATIC_DIR, html=True)),
    ]
)
