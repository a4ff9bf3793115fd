"""The network rule, read from the running system: every process the harness started for this stack listens on
loopback only, or, where the stack's app containers must call it, on their network's bridge address. A service's
settings say where it should listen; the kernel's socket table says where it does."""

from __future__ import annotations

import pytest

from harness import exposure, stack
from harness.ports import LOCALHOST
from harness.providers import provider_class


def test_every_started_process_listens_on_loopback_only(running: stack.Running) -> None:
    records = running.local_processes()
    if not records:
        pytest.skip(f"the {running.handle.provider} provider started no process on this machine")
    # The sidecars listen where the app's containers reach this host: the project network's gateway, a bridge.
    sidecar_host = provider_class(running.handle.provider).sidecar_host(running.handle)
    bridges = {sidecar_host} if sidecar_host != LOCALHOST and exposure.bridge_of(sidecar_host) else set()
    every, beyond = exposure.exposed(records, bridges)
    # the deployed backend, at least, listens: an empty table means the check read nothing
    assert every, f"no listening socket found for {[record.name for record in records]}: the table was not read"
    assert not beyond, (
        "listening beyond loopback"
        + (f" and the bridge {sidecar_host}" if bridges else "")
        + (", reachable from other hosts: " + "; ".join(listener.describe() for listener in beyond))
    )
