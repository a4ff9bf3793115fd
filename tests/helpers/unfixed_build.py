"""The rendered backend built with Kernia's stock behaviour in place of the project's defences.

Negative controls only: every security check must fail against this build, which proves that each check can
see the hole it guards and that the project's defences are what close it. It lives in the harness's test
suite, never in a rendered project. The rendered ``<slug>.security`` module is the one place that composes
the defences, so replacing its functions here yields the undefended build without any switch in the
project's own code. Use it as a uvicorn factory (``unfixed_build:create_app``) or as a pytest plugin
(``-p unfixed_build``), with ``UNFIXED_PROJECT_SLUG`` naming the project's package.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import pytest
from fastapi import FastAPI

SLUG_VARIABLE = "UNFIXED_PROJECT_SLUG"
UNLISTED_ROUTE = "POST /admin/create-user"


class _EveryRow:
    """What the app does without sampling: one audit row per refusal."""

    def __init__(self, audit: Any) -> None:
        self.audit = audit

    async def record(self, event: str, *, route: str, metadata: Any = None) -> bool:
        await self.audit.record(event, metadata=metadata)
        return True


def strip_defences(slug: str) -> None:
    """Replace every defence composed in ``<slug>.security`` with what Kernia does without it."""
    from kernia.types.init_options import EmailPasswordOptions
    from kernia_scim import SCIMOptions

    security = importlib.import_module(f"{slug}.security")
    stock: dict[str, Any] = {
        "kernia_plugins": lambda deps: [],
        "email_password_options": lambda: EmailPasswordOptions(enabled=True, require_email_verification=True),
        "sso_callbacks": lambda: {},
        "scim_options": lambda: SCIMOptions(),
        "email_otp_callbacks": lambda: {},
        "harden_router": lambda router: None,
        "trusted_proxies": lambda networks: None,
        "mount_layers": lambda app, deps, **_: app,
        "gateway_layer": lambda app, **_: app,
        "cookie_layer": lambda app, **_: app,
        "flood_audit": lambda audit: _EveryRow(audit),
    }
    missing = [name for name in stock if not hasattr(security, name)]
    assert not missing, f"{slug}.security no longer composes {missing}: update the negative control"
    for name, replacement in stock.items():
        setattr(security, name, replacement)


def create_app() -> FastAPI:
    slug = os.environ[SLUG_VARIABLE]
    strip_defences(slug)
    return importlib.import_module(f"{slug}.main").create_app()


def create_app_missing_a_policy() -> FastAPI:
    """The real build with one route dropped from the policy table, as after a Kernia upgrade adds a route."""
    slug = os.environ[SLUG_VARIABLE]
    policy = importlib.import_module(f"{slug}.security.policy")
    policy.AUTH_ROUTES = tuple(r for r in policy.AUTH_ROUTES if r.path != UNLISTED_ROUTE.split(" ")[1])
    return importlib.import_module(f"{slug}.main").create_app()


def pytest_configure(config: pytest.Config) -> None:
    strip_defences(os.environ[SLUG_VARIABLE])
