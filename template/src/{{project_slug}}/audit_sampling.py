"""Audit rows for floods, sampled: one row per event, route and client address per minute.

Refused junk (bad webhook signatures, 429s) is what an attacker can send without limit. Writing one audit row
per refusal lets anyone grow the audit table without bound and bury real events, so these are counted in
metrics (every one) and audited here at most once a window per (event, route, client); the next row says how
many were left out in between.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import request_context
from .audit import AuditWriter


@dataclass
class _Window:
    ends: float
    suppressed: int = 0


class SampledAudit:
    """``record`` writes the first event of each window per key and only counts the rest (this process)."""

    def __init__(self, audit: AuditWriter, *, window: float = 60.0, max_keys: int = 10_000) -> None:
        self.audit = audit
        self.window = window
        self.max_keys = max_keys
        self._windows: dict[tuple[str, str, str], _Window] = {}

    async def record(self, event: str, *, route: str, metadata: Mapping[str, Any] | None = None) -> bool:
        """True when this call wrote a row."""
        now = time.monotonic()
        client = request_context.current().ip_address or "unknown"
        key = (event, route, client)
        if key not in self._windows and len(self._windows) >= self.max_keys:
            self._windows = {k: w for k, w in self._windows.items() if w.ends > now}
            if len(self._windows) >= self.max_keys:  # a spread-out flood: one row per event and route
                key = (event, route, "*")
        current = self._windows.get(key)
        if current is not None and current.ends > now:
            current.suppressed += 1
            return False
        left_out = current.suppressed if current is not None else 0
        self._windows[key] = _Window(ends=now + self.window)
        await self.audit.record(
            event,
            metadata={
                **dict(metadata or {}),
                "sampled": f"first of each {int(self.window)} s per route and client",
                "left_out_since_previous_row": left_out,
            },
        )
        return True
