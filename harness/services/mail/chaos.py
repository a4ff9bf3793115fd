"""Mailpit's chaos triggers (spec: Mailpit v1.30 /api/v1 swagger, ``ChaosTriggers``): make SMTP refuse mail.

Drills use them to prove the backend survives a failing mail provider. Like Mailpit, a trigger fires with its
``Probability`` (0-100 %) and then the SMTP server answers ``<ErrorCode> Chaos <stage> error`` at that stage:
``Sender`` at MAIL FROM, ``Recipient`` at RCPT TO, ``Authentication`` at AUTH. Triggers left out of a PUT go
back to their defaults (probability 0), so ``{}`` resets everything.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

STAGES = ("Sender", "Recipient", "Authentication")
DEFAULT_CODES = {"Sender": 451, "Recipient": 451, "Authentication": 535}


class ChaosConfigError(ValueError):
    """A PUT body Mailpit would refuse (unknown trigger, code outside 400-599, probability outside 0-100)."""


@dataclass(frozen=True)
class Trigger:
    ErrorCode: int
    Probability: int = 0

    def fire(self) -> int | None:
        """The error code when this trigger fires now, else None."""
        return self.ErrorCode if secrets.randbelow(100) < self.Probability else None


def _trigger(stage: str, value: Any) -> Trigger:
    if not isinstance(value, dict) or set(value) - {"ErrorCode", "Probability"}:
        raise ChaosConfigError(f"{stage}: expected an object with ErrorCode and Probability")
    code, probability = value.get("ErrorCode") or DEFAULT_CODES[stage], value.get("Probability", 0)
    if not isinstance(code, int) or not 400 <= code <= 599:
        raise ChaosConfigError("error code must be between 400 and 599")
    if not isinstance(probability, int) or not 0 <= probability <= 100:
        raise ChaosConfigError("probability must be between 0 and 100")
    return Trigger(code, probability)


@dataclass
class Chaos:
    """The sink's chaos configuration; ``enabled`` mirrors Mailpit's ``--enable-chaos``."""

    enabled: bool = False
    triggers: dict[str, Trigger] = field(default_factory=lambda: {s: Trigger(c) for s, c in DEFAULT_CODES.items()})

    def document(self) -> dict[str, dict[str, int]]:
        """Mailpit's ChaosTriggers JSON."""
        return {stage: asdict(self.triggers[stage]) for stage in STAGES}

    def replace(self, body: Any) -> None:
        """Apply a PUT body: all triggers are validated before any changes."""
        if not isinstance(body, dict) or set(body) - set(STAGES):
            raise ChaosConfigError(f"expected an object with keys among {', '.join(STAGES)}")
        self.triggers = {stage: _trigger(stage, body.get(stage, {})) for stage in STAGES}

    def refusal(self, stage: str) -> str | None:
        """The SMTP reply refusing this stage, when its trigger fires."""
        code = self.triggers[stage].fire() if self.enabled else None
        return None if code is None else f"{code} Chaos {stage.lower()} error"
