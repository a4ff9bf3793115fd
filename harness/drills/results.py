"""The one shape of a drill: a name, its checks declared in order, and a run that returns one report of Outcomes.

A check is a function of the drill's state that returns its evidence or raises DrillError; its declaration says at
which stage of the run it is probed (the rotation drill proves grace while the grace backend runs, retirement after
the old secret is destroyed). The suite parametrizes one test per declaration, so a check's name is written once:
its function's name.

Each check's seconds are the drill's own time since the previous check ended (setup, seeding, backups, backend
starts), plus its probe; the teardown after the last check goes to the last one. So the checks' seconds add up to
the drill's time, and the report shows where it went.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from harness.actions import DrillError, require
from harness.report import Outcome

if TYPE_CHECKING:
    from harness.stack import Running

__all__ = ["Drill", "DrillCheck", "DrillError", "DrillReport", "require"]

S = TypeVar("S")


@dataclass(frozen=True)
class DrillCheck(Generic[S]):
    """One property a drill proves: ``probe(state)`` returns the evidence (never a secret) or raises DrillError."""

    probe: Callable[[S], str]
    stage: str  # when the drill probes it (each drill names its stages)

    @property
    def name(self) -> str:
        return self.probe.__name__


@dataclass(frozen=True)
class Drill:
    """A drill: its checks in the order they run, and ``run``, which returns one result per check it reached."""

    name: str
    checks: tuple[DrillCheck[Any], ...]
    run: Callable[[Running], DrillReport]

    def report(self) -> DrillReport:
        return DrillReport(self)


@dataclass
class DrillReport:
    """A drill's check results in the order they ran (no secrets in their details)."""

    drill: Drill
    results: list[Outcome] = field(default_factory=list)
    _mark: float = field(default_factory=time.perf_counter, repr=False)

    @property
    def passed(self) -> bool:
        return len(self.results) == len(self.drill.checks) and all(r.status == "passed" for r in self.results)

    def run_stage(self, stage: str, state: Any) -> None:
        """Probe, in declaration order, every check of ``stage`` against ``state``."""
        for check in self.drill.checks:
            if check.stage == stage:
                self.record(check, state)

    def record(self, check: DrillCheck[Any], state: Any) -> Outcome:
        """Probe one check; its seconds are everything the drill did since the previous check ended."""
        try:
            status, detail = "passed", check.probe(state)
        except DrillError as exc:
            status, detail = "failed", str(exc)
        except Exception as exc:  # e.g. a refused connection: this check fails, the drill's other checks still run
            status, detail = "failed", f"{type(exc).__name__}: {exc}"
        now = time.perf_counter()
        result = Outcome(check.name, status, round(now - self._mark, 3), detail)
        self._mark = now
        self.results.append(result)
        return result

    def finish(self) -> DrillReport:
        """Give the teardown after the last check to that check, so the results add up to the drill's time."""
        now = time.perf_counter()
        if self.results:
            self.results[-1].seconds = round(self.results[-1].seconds + now - self._mark, 3)
        self._mark = now
        return self

    def result(self, check: DrillCheck[Any]) -> Outcome:
        """The result of ``check``, or a failure saying the drill stopped before it."""
        found = next((r for r in self.results if r.name == check.name), None)
        if found is not None:
            return found
        ran = ", ".join(r.name for r in self.results) or "none"
        return Outcome(check.name, "failed", 0.0, f"{self.drill.name} drill did not reach this check (ran: {ran})")
