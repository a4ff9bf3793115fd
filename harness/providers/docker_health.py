"""A compose.yaml healthcheck on a container the harness starts itself, and the wait until Docker calls it healthy.

The testcontainers provider runs each service with the healthcheck its compose.yaml service declares, so both
container providers call a service ready by the same command (and a stand-in image whose healthcheck fails is
caught by both). When a container never turns healthy, ``NotHealthy`` says which check failed, what it printed,
what the container runs and the container's last log lines.
"""

from __future__ import annotations

import math
import re
import shlex
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.commands import tail

if TYPE_CHECKING:
    from docker.models.containers import Container

LOG_TAIL = 30
POLL_SECONDS = 0.5
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)")
_NANOSECONDS = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


class NotHealthy(RuntimeError):
    """A container exited, turned unhealthy or ran out of time; the message is the full diagnosis."""


@dataclass(frozen=True)
class Healthcheck:
    """A compose healthcheck in Docker's create-container form (durations in nanoseconds)."""

    test: tuple[str, ...]
    interval: int
    timeout: int
    retries: int
    start_period: int

    @classmethod
    def from_compose(cls, service: Mapping[str, Any]) -> Healthcheck | None:
        """The service's healthcheck; ``None`` when it declares none.

        Engines before 25 refuse ``start_interval``, so its cadence (when given) becomes the interval, and the
        retries grow by the same factor: a failing service is still declared unhealthy ``start_period + retries x
        interval`` after it started, as an engine that knows start_interval would. ``$$`` is compose's escape for
        ``$``.
        """
        check = service.get("healthcheck")
        if not check or check.get("disable"):
            return None
        test = check["test"]
        argv = ["CMD-SHELL", test] if isinstance(test, str) else list(test)
        interval = duration_ns(check.get("interval", "30s"))
        cadence = duration_ns(check["start_interval"]) if check.get("start_interval") else interval
        return cls(
            test=tuple(str(part).replace("$$", "$") for part in argv),
            interval=cadence,
            timeout=duration_ns(check.get("timeout", "30s")),
            retries=int(check.get("retries", 3)) * max(1, math.ceil(interval / cadence)),
            start_period=duration_ns(check.get("start_period", "0s")),
        )

    def to_docker(self) -> dict[str, Any]:
        """The ``healthcheck`` argument of docker-py's ``containers.create``."""
        return {
            "test": list(self.test),
            "interval": self.interval,
            "timeout": self.timeout,
            "retries": self.retries,
            "start_period": self.start_period,
        }

    def describe(self) -> str:
        """The check as a reader would type it."""
        kind, *argv = self.test
        return argv[0] if kind == "CMD-SHELL" else shlex.join(argv)


def duration_ns(text: str | int | float) -> int:
    """A compose duration (``"1m30s"``, ``"500ms"``; a bare number is seconds) in nanoseconds."""
    if isinstance(text, int | float):
        return int(text * 10**9)
    parts = _DURATION.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text.strip():
        raise ValueError(f"not a compose duration: {text!r} (e.g. 10s, 1m30s, 500ms)")
    return int(sum(float(number) * _NANOSECONDS[unit] for number, unit in parts))


def wait_healthy(container: Container, check: Healthcheck, timeout: float) -> None:
    """Return once Docker reports ``container`` healthy; NotHealthy when it exits, turns unhealthy or times out."""
    deadline = time.monotonic() + timeout
    while True:
        container.reload()
        state = container.attrs["State"]
        health = (state.get("Health") or {}).get("Status")
        if health == "healthy":
            return
        if state.get("Status") in ("exited", "dead"):
            raise NotHealthy(diagnosis(container, check, f"exited with code {state.get('ExitCode')}"))
        if health == "unhealthy":
            raise NotHealthy(diagnosis(container, check, f"is unhealthy ({check.retries} failed checks in a row)"))
        if time.monotonic() > deadline:
            raise NotHealthy(diagnosis(container, check, f"is not healthy after {timeout:.0f} s"))
        time.sleep(POLL_SECONDS)


def diagnosis(container: Container, check: Healthcheck | None, what: str) -> str:
    """Why a container is not ready: its state, the healthcheck and its last output, its command and its log."""
    attrs = container.attrs
    lines = [f"{what}"]
    if check is not None:
        lines.append(f"  healthcheck: {check.describe()}")
        probes: Sequence[Mapping[str, Any]] = ((attrs.get("State") or {}).get("Health") or {}).get("Log") or ()
        if probes:
            last = probes[-1]
            output = tail(str(last.get("Output", "")), 5) or "(no output)"
            lines.append(f"  its last run exited {last.get('ExitCode')}: " + output.replace("\n", "\n    "))
    config = attrs.get("Config") or {}
    command = [*(config.get("Entrypoint") or ()), *(config.get("Cmd") or ())]
    lines.append(f"  command: {shlex.join(command) if command else '(the image default)'}")
    lines.append(f"  last {LOG_TAIL} log lines:")
    try:
        log = tail(container.logs().decode(errors="replace"), LOG_TAIL)
    except Exception:  # a container removed meanwhile has no log; the rest of the diagnosis still stands
        log = ""
    lines += [f"    {line}" for line in log.splitlines()] or ["    (no log output)"]
    return "\n".join(lines)
