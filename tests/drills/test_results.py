"""The one drill shape: checks run at their declared stage, in order; each check's seconds are the drill's time since
the previous check (so the drill's time shows in the report); a check the drill never reached fails, naming why."""

from __future__ import annotations

import time

import pytest

from harness.drills.recovery import RECOVERY
from harness.drills.results import Drill, DrillCheck, DrillError, DrillReport
from harness.drills.rotation import ROTATION


def first(state: list[str]) -> str:
    state.append("first")
    return "evidence one"


def second(state: list[str]) -> str:
    state.append("second")
    raise DrillError("what was wrong")


def later(state: list[str]) -> str:
    return "never probed"


def crashes(state: list[str]) -> str:
    raise ConnectionRefusedError("backend gone")


def _unused_run(running: object) -> DrillReport:
    raise AssertionError("not run here")


DRILL = Drill("demo", (DrillCheck(first, "a"), DrillCheck(second, "a"), DrillCheck(later, "b")), _unused_run)


def test_checks_run_at_their_stage_in_order_and_take_the_drills_time() -> None:
    report, state = DRILL.report(), []
    time.sleep(0.2)  # setup work before the first check: its time goes to that check
    report.run_stage("a", state)
    time.sleep(0.1)  # teardown after the last check reached: it goes to that check
    report.finish()
    assert state == ["first", "second"]
    one, two = report.results
    assert (one.name, one.status, one.detail) == ("first", "passed", "evidence one")
    assert (two.name, two.status, two.detail) == ("second", "failed", "what was wrong")
    assert one.seconds >= 0.2 and two.seconds >= 0.1
    assert not report.passed


def test_a_check_the_drill_never_reached_fails_naming_what_ran() -> None:
    report = DRILL.report()
    report.run_stage("a", [])
    missing = report.result(DRILL.checks[2])
    assert (missing.status, missing.seconds) == ("failed", 0.0)
    assert missing.detail == "demo drill did not reach this check (ran: first, second)"
    assert report.result(DRILL.checks[0]).status == "passed"


def test_an_unexpected_error_fails_its_check_and_the_next_still_runs() -> None:
    drill = Drill("demo", (DrillCheck(crashes, "a"), DrillCheck(first, "a")), _unused_run)
    report, state = drill.report(), []
    report.run_stage("a", state)
    crashed, ran = report.results
    assert (crashed.status, crashed.detail) == ("failed", "ConnectionRefusedError: backend gone")
    assert ran.status == "passed" and state == ["first"]


@pytest.mark.parametrize("drill", [RECOVERY, ROTATION], ids=lambda d: d.name)
def test_each_drill_declares_its_checks_once(drill: Drill) -> None:
    names = [check.name for check in drill.checks]
    assert len(names) == len(set(names)) and names
    assert all(check.probe.__doc__ for check in drill.checks), "each check says what it proves"
