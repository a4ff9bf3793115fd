"""The harness's terminal output: progress and errors on stderr, never wrapped (messages carry paths and URLs)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

console = Console(stderr=True, soft_wrap=True)


def progress(message: str) -> None:
    console.print(f"[dim]harness[/] {escape(message)}")


def error(message: str) -> None:
    console.print(f"[red]harness:[/] {escape(message)}")


def info(message: str) -> None:
    console.print(escape(message))
