"""The rehearsal report: JSON for machines (provider, service implementations, steps, checks) and a terminal summary."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, astuple, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness.endpoints import Endpoints
from harness.services import versions
from harness.signals.table import render_signals

# A check whose work ran outside its test call (a drill check: the drill runs once, in a fixture) reports its own
# seconds in this pytest user property; the plugin takes them instead of the call's duration.
SECONDS_PROPERTY = "seconds"
STATUS_STYLE = {"passed": "green", "failed": "red", "error": "red", "skipped": "yellow", "not run": "dim"}


@dataclass
class Outcome:
    """What became of one deployment step or one check: the one result type of a rehearsal."""

    name: str
    status: str  # passed | failed | error | skipped | not run
    seconds: float
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    provider: str
    project: str
    started_at: float = field(default_factory=time.time)
    seconds: float = 0.0
    services: list[dict[str, Any]] = field(default_factory=list)
    steps: list[Outcome] = field(default_factory=list)  # the deployment's, then any stack/teardown failure
    checks: list[Outcome] = field(default_factory=list)
    stack_seconds: float = 0.0
    authorization: list[dict[str, Any]] = field(default_factory=list)  # route x caller rows (harness/authz.py)
    evidence: list[dict[str, str]] = field(default_factory=list)  # browser screenshots and logs (harness/browser.py)
    signals: list[dict[str, Any]] = field(default_factory=list)  # monitoring signals under faults (harness/signals)
    warnings: list[str] = field(default_factory=list)  # e.g. checks not run for want of a browser
    interrupted: str = ""  # what stopped the run half-way (Ctrl-C, SIGTERM): whatever passed, it did not pass

    @property
    def status(self) -> str:
        if self.interrupted:
            return "interrupted"
        # A check "not run" (no browser here) does not fail the run, but the report says so loudly (warnings).
        statuses = [s.status for s in self.steps] + [c.status for c in self.checks if c.status != "not run"]
        if not statuses:
            return "failed"
        return "passed" if all(s in ("passed", "skipped") for s in statuses) else "failed"

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def add_evidence(self, files: list[dict[str, str]]) -> None:
        self.evidence.extend(files)

    def set_endpoints(self, endpoints: Endpoints) -> None:
        """The services the stack runs, each with the version it reports itself beside the one pinned."""
        self.services = [
            {**asdict(s), "summary": s.describe(), **_running(versions.observe(s, endpoints))}
            for s in endpoints.services
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "interrupted": self.interrupted,
            "provider": self.provider,
            "project": self.project,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started_at)),
            "seconds": round(self.seconds, 3),
            "stack_seconds": round(self.stack_seconds, 3),
            "services": self.services,
            "steps": [s.to_dict() for s in self.steps],
            "checks": [c.to_dict() for c in self.checks],
            "authorization": self.authorization,
            "evidence": self.evidence,
            "signals": self.signals,
            "warnings": self.warnings,
        }

    def write(self, path: Path) -> None:
        """The JSON report; evidence files under its directory are listed relative to it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.to_dict()
        data["evidence"] = [{**item, "path": _relative(item["path"], path.parent)} for item in self.evidence]
        path.write_text(json.dumps(data, indent=2) + "\n")

    def render(self, console: Console) -> None:
        services = Table(title="Services", show_edge=False)
        for column in ("service", "implementation", "version", "running", "mode"):
            services.add_column(column)
        for s in self.services:
            mode = s["mode"] + (" (stand-in)" if s.get("stand_in") else "")
            running = escape(str(s.get("running_version") or "not read"))
            running = f"[bold red]{running} (differs)[/]" if s.get("version_differs") else running
            name, implementation, pinned = (escape(str(s[key])) for key in ("name", "implementation", "version"))
            services.add_row(name, implementation, pinned, running, escape(mode))
        console.print(services)
        for s in self.services:
            if s.get("version_differs"):
                console.print(f"[bold red]WARNING: {escape(s['version_summary'])}[/]")
        results = Table(title=f"Rehearsal on {self.provider}", show_edge=False)
        for column in ("kind", "name", "status", "seconds", "detail"):
            results.add_column(column, overflow="fold")
        rows = [("step", s) for s in self.steps] + [("check", c) for c in self.checks]
        for kind, (name, status, seconds, detail) in ((kind, astuple(o)) for kind, o in rows):
            first_line = detail.strip().splitlines()[0][:120] if detail.strip() else ""
            style = STATUS_STYLE.get(status, "")
            results.add_row(kind, escape(name), f"[{style}]{status}[/]", f"{seconds:.2f}", escape(first_line))
        console.print(results)
        if self.authorization:
            self._render_authorization(console)
        if self.signals:
            render_signals(console, self.signals)
        if self.evidence:
            self._render_evidence(console)
        for warning in self.warnings:
            count = sum(1 for c in self.checks if c.detail == warning)
            console.print(f"[bold red]WARNING: {count} check(s) {escape(warning)}[/]")
        style = "green" if self.status == "passed" else "red"
        not_run = sum(1 for c in self.checks if c.status == "not run")
        console.print(
            f"[{style}]rehearsal {self.status}[/] in {self.seconds:.1f} s "
            f"(stack ready in {self.stack_seconds:.1f} s) on provider {self.provider}"
            + (f" [bold red]with {not_run} check(s) NOT RUN[/]" if not_run else "")
            + (f" by {escape(self.interrupted)}" if self.interrupted else "")
        )

    def _render_evidence(self, console: Console) -> None:
        """Where the browser screenshots are, and every file a failing browser step left."""
        shots = [e for e in self.evidence if e["kind"] == "screenshot"]
        folders = sorted({str(Path(e["path"]).parent.parent) for e in self.evidence})
        console.print(f"browser evidence: {len(shots)} screenshots under {escape(', '.join(folders))}")
        for item in self.evidence:
            if item["kind"] != "screenshot" or "-FAILED" in item["path"]:
                console.print(f"  [red]{escape(item['check'])}[/] {escape(item['step'])}: {escape(item['path'])}")

    def _render_authorization(self, console: Console) -> None:
        """Per caller: how many routes admitted and refused it, and how many answers differ from the policy."""
        table = Table(title="Authorization matrix (route x caller)", show_edge=False)
        for column in ("caller", "admitted", "refused", "differs from policy"):
            table.add_column(column)
        callers: dict[str, list[int]] = {}
        for row in self.authorization:
            counts = callers.setdefault(row["caller"], [0, 0, 0])
            counts[0 if row["got"] == "admitted" else 1] += 1
            counts[2] += not row["ok"]
        for caller, (admitted, refused, wrong) in callers.items():
            table.add_row(escape(caller), str(admitted), str(refused), f"[{'red' if wrong else 'green'}]{wrong}[/]")
        console.print(table)
        routes = {(row["method"], row["route"]) for row in self.authorization}
        console.print(f"{len(routes)} routes x {len(callers)} callers = {len(self.authorization)} answers checked")


def _running(observed: versions.Observed | None) -> dict[str, Any]:
    """The report's fields for a service's running version (none for a service without a version probe)."""
    if observed is None:
        return {}
    return {
        "running_version": observed.running,
        "version_differs": observed.differs,
        "version_summary": observed.describe(),
    }


def _relative(path: str, base: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(base.resolve()))
    except ValueError:
        return path
