"""AuthClient: source addresses per xdist worker."""

from __future__ import annotations

import pytest


def test_clients_of_different_xdist_workers_never_share_a_source_address(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.client import next_loopback_address

    seen = set()
    for worker in ("gw0", "gw1", "gw7"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        seen |= {next_loopback_address().split(".")[1] for _ in range(3)}
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    seen.add(next_loopback_address().split(".")[1])
    assert seen == {"2", "3", "9", "1"}
