"""The shipped alert rules, timed for a rehearsal: same expressions and thresholds, shorter windows.

Production rules average over ``[5m]`` and wait ``for:`` minutes, which a rehearsal cannot afford per signal.
The harness evaluates the very same expressions with every range replaced by ``WINDOW`` and ``for: 0s``, so a
fault fires its alert within seconds and the alert resolves ``WINDOW`` after the fault ends. The production
timing itself is pinned by the rendered project's ``tests/test_alert_rules.py`` (``promtool test rules``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

WINDOW = "3s"  # three scrapes at 1 s: enough samples for rate() and histogram_quantile(), and a quick resolve
RULES_PATH = Path("ops") / "prometheus" / "alerts.yml"  # in the rendered project
_RANGE = re.compile(r"\[\d+[smhdwy]\]")


def rehearsal_rules(shipped: str) -> str:
    """``shipped`` (a rules file's text) with every range set to ``WINDOW`` and every ``for:`` to 0s."""
    data: dict[str, Any] = yaml.safe_load(shipped)
    for group in data["groups"]:
        for rule in group["rules"]:
            rule["expr"] = _RANGE.sub(f"[{WINDOW}]", rule["expr"])
            rule["for"] = "0s"
    return yaml.safe_dump(data, sort_keys=False)


def alert_names(shipped: str) -> list[str]:
    data: dict[str, Any] = yaml.safe_load(shipped)
    return [rule["alert"] for group in data["groups"] for rule in group["rules"] if "alert" in rule]
