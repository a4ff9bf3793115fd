"""Fixtures for the services' tests: start single catalog services natively and always stop them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.native.orchestrate import Registry, remove_paths, start_service, stop_all
from harness.services import Service, mail
from harness.services.launch import Launch, RunContext
from harness.services.mail.client import MailpitClient

StartFn = Callable[..., Launch]


@pytest.fixture
def start_native(tmp_path: Path) -> Iterator[StartFn]:
    """Start one catalog service (``start_native(mail.SERVICE)``); returns its Launch; stopped at teardown."""
    registry = Registry()
    run_dir = tmp_path / "run"

    def _start(service: Service, **options: Any) -> Launch:
        return start_service(service, RunContext(run_dir=run_dir, options=options), registry).launch

    yield _start
    stop_all(registry.records)
    remove_paths([*registry.cleanup, run_dir])
    assert not any(r.is_alive() for r in registry.records)


@pytest.fixture
def mailbox(start_native: StartFn) -> Iterator[tuple[dict[str, Any], MailpitClient]]:
    """The mail service started natively: its endpoints and a Mailpit API client."""
    endpoints = start_native(mail.SERVICE).endpoints
    client = MailpitClient(endpoints["mailpit_api_url"])
    yield endpoints, client
    client.close()
