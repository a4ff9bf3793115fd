"""The optional services' checks, read from the suite modules that define them (one place for their names)."""

from __future__ import annotations

import ast
from pathlib import Path

SUITE = Path(__file__).resolve().parents[2] / "harness" / "suite"

OPTIONAL_CHECKS = frozenset(
    node.name
    for module in sorted(SUITE.glob("test_optional_*.py"))
    for node in ast.parse(module.read_text()).body
    if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
)

REDIS_SIGNAL = "test_signal_fires_under_its_fault[Redis latency]"  # the canary pauses its own Redis


def not_passed(checks: list[dict[str, object]], skips: dict[str, str] | None = None) -> list[dict[str, object]]:
    """Checks that neither passed nor were skipped for a declared reason: the optional services of a project
    rendered without them, and ``skips`` (name -> words the skip's detail must contain)."""
    allowed = {name: "" for name in OPTIONAL_CHECKS} | (skips or {})
    return [
        check
        for check in checks
        if check["status"] != "passed"
        and not (
            check["status"] == "skipped"
            and str(check["name"]) in allowed
            and allowed[str(check["name"])] in str(check.get("detail", ""))
        )
    ]
