"""What a drill returns: named checks, each passed or not with the evidence, plus how long each phase took."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.actions import DrillError, require

__all__ = ["Check", "DrillError", "DrillReport", "require"]


@dataclass(frozen=True)
class Check:
    """One property a drill proves; ``detail`` is the evidence (never a secret)."""

    name: str
    passed: bool
    detail: str


@dataclass
class DrillReport:
    """A drill's checks in the order they ran and the seconds spent per phase (JSON-able, no secrets)."""

    drill: str
    checks: list[Check] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def check(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        ran = ", ".join(c.name for c in self.checks) or "none"
        return Check(name, False, f"{self.drill} drill did not reach this check (checks run: {ran})")

    def record(self, name: str, probe: Callable[[], str]) -> Check:
        """Run ``probe``; it returns the evidence or raises DrillError saying what was wrong."""
        try:
            check = Check(name, True, probe())
        except DrillError as exc:
            check = Check(name, False, str(exc))
        self.checks.append(check)
        return check

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = round(time.perf_counter() - started, 3)

    def to_dict(self) -> dict[str, Any]:
        return {
            "drill": self.drill,
            "passed": self.passed,
            "phases": self.phases,
            "checks": [asdict(c) for c in self.checks],
        }
