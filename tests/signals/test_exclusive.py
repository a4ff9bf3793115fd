"""The fault phase's lock: checks share it, the phase waits for them and holds it alone."""

from __future__ import annotations

import threading
import time
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


def test_a_waiting_phase_goes_before_checks_that_start_later(tmp_path: Path) -> None:
    """Without the turnstile a new check would take its shared lock beside the running one and the phase would
    wait for every check of the worker (flock does not queue writers first)."""
    events: list[str] = []
    phase_waiting = threading.Event()

    def phase() -> None:
        phase_waiting.set()
        with holding(tmp_path, exclusive=True):
            events.append("phase")

    def later_check() -> None:
        with holding(tmp_path, exclusive=False):
            events.append("later check")

    with holding(tmp_path, exclusive=False):  # a check running when the phase asks
        phase_thread = threading.Thread(target=phase)
        phase_thread.start()
        assert phase_waiting.wait(5)
        time.sleep(0.3)  # the phase is blocked on the lock, holding the turnstile
        check_thread = threading.Thread(target=later_check)
        check_thread.start()
        time.sleep(0.3)
        assert events == [], "a check or the phase ran while the first check held the lock"
    phase_thread.join(5)
    check_thread.join(5)
    assert events == ["phase", "later check"]
