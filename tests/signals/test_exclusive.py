"""The fault phase's lock: checks share it, the phase waits for them and holds it alone."""

from __future__ import annotations

import threading
from pathlib import Path

from harness.signals.exclusive import holding


def test_phase_waits_for_running_checks_and_checks_wait_for_the_phase(tmp_path: Path) -> None:
    events: list[str] = []
    phase_done = threading.Event()

    def phase() -> None:
        with holding(tmp_path, exclusive=True):
            events.append("phase")
        phase_done.set()

    with holding(tmp_path, exclusive=False), holding(tmp_path, exclusive=False):  # two checks at once
        thread = threading.Thread(target=phase)
        thread.start()
        assert not phase_done.wait(0.5), "the phase ran while checks held the lock"
        events.append("checks")
    thread.join(5)
    assert events == ["checks", "phase"]
