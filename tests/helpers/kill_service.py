"""Test-only pytest plugin (``-p kill_service``): SIGKILL one of the stack's services in the middle of a rehearsal.

``HARNESS_TEST_KILL=<service>:<n>`` kills that service's process (its record in the stack's state) after the n-th
check has run; with n = 0, as soon as the stack is recorded, while it is being deployed. Only on the process that
owns the run (the xdist controller, or the only process). It proves that the harness notices a service dying,
names it and stops; nothing in the harness reads this variable.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from harness import stack
from harness.project import Project
from harness.state import StackState

VARIABLE = "HARNESS_TEST_KILL"
KILLED = "kill_service: SIGKILL"


def kill(project: Project, service: str) -> None:
    record = next(r for r in stack.load(project).handle.state["processes"] if r["name"] == service)
    os.kill(record["pid"], signal.SIGKILL)
    print(f"{KILLED} {service} pid {record['pid']} at {time.time():.3f}", file=sys.stderr, flush=True)


class KillAfter:
    def __init__(self, project: Project, service: str, after: int) -> None:
        self.project = project
        self.service = service
        self.after = after
        self.seen = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.seen += 1
            if self.seen == self.after:
                kill(self.project, self.service)


def kill_once_recorded(project: Project, service: str) -> None:
    """Kill ``service`` as soon as the stack's record exists (up has returned; the deployment starts)."""
    deadline = time.monotonic() + 300
    while not StackState(project.root).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    kill(project, service)


@pytest.hookimpl(tryfirst=True)  # before the harness starts the stack in its own pytest_configure
def pytest_configure(config: pytest.Config) -> None:
    spec = os.environ.get(VARIABLE)
    if not spec or hasattr(config, "workerinput"):
        return
    service, _, after = spec.partition(":")
    project = Project.load(Path(config.getoption("--harness-project")))
    if int(after) == 0:
        threading.Thread(target=kill_once_recorded, args=(project, service), daemon=True).start()
    else:
        config.pluginmanager.register(KillAfter(project, service, int(after)), "kill-service")
