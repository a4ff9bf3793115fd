"""What the defences need from the running backend (built at startup, like Kernia itself)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..audit import AuditWriter
from ..emails import EmailDelivery
from ..settings import Settings
from ..telemetry import Telemetry


@dataclass(frozen=True)
class SecurityDeps:
    settings: Settings
    delivery: EmailDelivery
    audit: AuditWriter
    telemetry: Telemetry
    redis: Any | None  # redis.asyncio.Redis when configured (per-recipient throttles, replay stores)
