"""Start single catalog services natively for a test, and always stop them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.native.orchestrate import Registry, remove_paths, start_service, stop_all
from harness.services import Service
from harness.services.launch import Launch, RunContext

StartFn = Callable[..., Launch]


@contextmanager
def native_services(run_dir: Path) -> Iterator[StartFn]:
    """``start(mail.SERVICE)`` returns the service's Launch; everything started is stopped and removed on exit."""
    registry = Registry()

    def start(service: Service, **options: Any) -> Launch:
        return start_service(service, RunContext(run_dir=run_dir, options=options), registry).launch

    try:
        yield start
    finally:
        stop_all(registry.records)
        remove_paths([*registry.cleanup, run_dir])
    assert not any(r.is_alive() for r in registry.records)
