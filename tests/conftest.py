"""Shared fixtures: render the template from the working tree into a temporary directory (helpers: tests/helpers/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.services import mail
from harness.services.mail.client import MailpitClient
from tests.helpers.native import StartFn, native_services
from tests.helpers.render import RenderFn, render_project


@pytest.fixture
def render(tmp_path: Path) -> RenderFn:
    """Render the template into a fresh directory under ``tmp_path``; returns the project directory."""
    counter = iter(range(1000))

    def _render(**answers: Any) -> Path:
        return render_project(tmp_path / f"project{next(counter)}", **answers)

    return _render


@pytest.fixture
def start_native(tmp_path: Path) -> Iterator[StartFn]:
    """Start one catalog service (``start_native(mail.SERVICE)``); returns its Launch; stopped at teardown."""
    with native_services(tmp_path / "run") as start:
        yield start


@pytest.fixture
def mailbox(start_native: StartFn) -> Iterator[tuple[dict[str, Any], MailpitClient]]:
    """The mail service started natively: its endpoints and a Mailpit API client."""
    endpoints = start_native(mail.SERVICE).endpoints
    client = MailpitClient(endpoints["mailpit_api_url"])
    yield endpoints, client
    client.close()
