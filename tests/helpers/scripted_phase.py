"""A Prometheus whose alert and metric follow a scripted fault, and one signal driven through the real phase
against it: the phase's verdicts without a Prometheus (tests/signals/test_phase.py, also in a ``python -O`` child)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from harness.signals.faults import Target
from harness.signals.phase import Phase, Probe, Result, Signal

FIRED_AT = "2026-12-03T23:40:00.123Z"
TIMEOUTS = ("QUIET_TIMEOUT", "FIRE_TIMEOUT", "RESOLVE_TIMEOUT")


@dataclass
class ScriptedPrometheus:
    """Alert state and metric value follow ``faulty`` as the fault sets it (``sticky``: the alert never resolves;
    ``blip``: the metric moved only at the evaluation that fired the alert, like a rate over a short window)."""

    moves: bool = True
    fires: bool = True
    sticky: bool = False
    blip: bool = False
    faulty: bool = False
    fired_once: bool = False
    queries: list[str] = field(default_factory=list)

    def alerts(self) -> dict[str, str]:
        if (self.faulty and self.fires) or (self.sticky and self.fired_once):
            self.fired_once = True
            return {"Demo": "firing"}
        return {}

    def active_since(self, alert: str) -> str | None:
        return FIRED_AT if self.alerts().get(alert) else None

    def query(self, expr: str, at: str | None = None) -> list[dict[str, Any]]:
        self.queries.append(expr)
        moved = self.faulty and self.moves and (at == FIRED_AT if self.blip else True)
        return [{"value": [0, "1" if moved else "0"]}]


def drive(prometheus: ScriptedPrometheus) -> Result:
    """One demo signal through the real ``Phase``, its fault flipping ``prometheus`` to faulty while it is on."""

    @contextmanager
    def fault(target: Target) -> Iterator[str]:
        prometheus.faulty = True
        try:
            yield "handle"
        finally:
            prometheus.faulty = False

    signal = Signal("demo signal", "a demo fault", "demo_metric", "Demo", fault)
    target = Target("http://a", "http://f", "postgresql://x", None, None, lambda label: None, nullcontext)  # type: ignore[arg-type]
    target.answers = Counter()
    probe = Probe("http://b", {}, lambda path, params: None, "admin")  # type: ignore[arg-type, return-value]
    return Phase(prometheus, target, probe).drive(signal)  # type: ignore[arg-type]
