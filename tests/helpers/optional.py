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
