"""The rendered backend with one route broken: sign-up's verification email raises, so sign-up answers 500.

Test-only, in the style of unfixed_build.py: a uvicorn factory (``broken_route:create_app``) with
``UNFIXED_PROJECT_SLUG`` naming the project's package. The project's own error handling logs the failure with the
request id and answers a generic 500, as a real bug would; the harness must quote those log lines in the report.
"""

from __future__ import annotations

import importlib
import os

from fastapi import FastAPI

SLUG_VARIABLE = "UNFIXED_PROJECT_SLUG"  # as unfixed_build (not imported: the backend has only this directory)
BROKEN = "verification mail broken on purpose"


async def _raise(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError(BROKEN)


def create_app() -> FastAPI:
    slug = os.environ[SLUG_VARIABLE]
    importlib.import_module(f"{slug}.emails").EmailDelivery.send_verification_email = _raise
    return importlib.import_module(f"{slug}.main").create_app()
