"""The report's ``signals`` section on the terminal: one row per signal, as the JSON report holds it."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

STATUS_STYLE = {"passed": "green", "failed": "red", "skipped": "yellow"}


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def render_signals(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table(title="Monitoring signals under faults", show_edge=False)
    for column in ("signal", "fault", "metric (before -> during)", "alert", "fired / resolved s", "status", "s"):
        table.add_column(column, overflow="fold")
    for row in rows:
        style = STATUS_STYLE.get(row["status"], "")
        moved = f"{row['metric']} ({row['metric_before']} -> {row['metric_during']})"
        timing = f"{_seconds(row['fired_after'])} / {_seconds(row['resolved_after'])}"
        table.add_row(
            escape(row["signal"]),
            escape(row["fault"]),
            escape(moved),
            escape(row["alert"]),
            timing,
            f"[{style}]{row['status']}[/]",
            f"{row['seconds']:.1f}",
        )
    console.print(table)
    for row in rows:
        if row["status"] != "passed" and row["detail"]:
            console.print(f"  [red]{escape(row['signal'])}[/]: {escape(row['detail'])}")
