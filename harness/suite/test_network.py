"""The network rule, read from the running system: every process the harness started for this stack listens on
loopback only. A service's settings say where it should listen; the kernel's socket table says where it does."""

from __future__ import annotations

import pytest

from harness import exposure, stack


def test_every_started_process_listens_on_loopback_only(running: stack.Running) -> None:
    records = running.local_processes()
    if not records:
        pytest.skip(f"the {running.handle.provider} provider started no process on this machine")
    every, beyond_loopback = exposure.exposed(records)
    # the deployed backend, at least, listens: an empty table means the check read nothing
    assert every, f"no listening socket found for {[record.name for record in records]}: the table was not read"
    assert not beyond_loopback, "listening beyond loopback, reachable from other hosts: " + "; ".join(
        listener.describe() for listener in beyond_loopback
    )
