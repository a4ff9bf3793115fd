"""Each service's version as the running service reports it, beside the version its provider meant to run.

The pin is ``ServiceInfo.version``: the native provider's binary version, compose's and testcontainers' image tag,
nothing for the external provider ("-"). The running version comes from the service itself through its endpoint
(``Service.version``), so a tag that does not hold what it says, or a binary swapped under the harness, shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from harness.endpoints import Endpoints, ServiceInfo
from harness.services.catalog import SERVICES
from harness.services.launch import UNKNOWN

_NUMBERS = re.compile(r"(\d+(?:\.\d+)*)")


@dataclass(frozen=True)
class Observed:
    """One service's pinned and running versions; ``note`` says why the running one is missing."""

    name: str
    pinned: str
    running: str | None
    note: str = ""

    @property
    def differs(self) -> bool:
        """True when both versions are known and the running one is not the pinned one."""
        return self.running is not None and differs(self.pinned, self.running)

    def describe(self) -> str:
        if self.running is None:
            return f"{self.name}: running version not read ({self.note})"
        if self.differs:
            return f"{self.name} runs {self.running}, but {self.pinned} was pinned"
        return f"{self.name} runs {self.running}"


def differs(pinned: str, running: str) -> bool:
    """Whether ``running`` contradicts ``pinned``, compared on the pin's own precision.

    A tag pins as much as it names: ``18`` holds any 18.x, ``v1.21`` any 1.21.x, ``7.4-alpine`` any 7.4.x. A pin
    without numbers (``latest``, ``-``, unknown) pins nothing, so nothing can differ from it.
    """
    wanted = _NUMBERS.search(pinned)
    found = _NUMBERS.search(running)
    if wanted is None or found is None:
        return False
    pin = wanted.group(1).split(".")
    return found.group(1).split(".")[: len(pin)] != pin


Probe = Callable[[Endpoints], str]


def observe_one(info: ServiceInfo, probe: Probe, endpoints: Endpoints) -> Observed:
    """Ask one service for its version; a failure to ask is reported, never raised."""
    try:
        running = probe(endpoints)
    except Exception as exc:  # any client error: the report says so, the rehearsal goes on
        return Observed(info.name, info.version, None, f"could not ask it: {type(exc).__name__}: {exc}"[:200])
    if running == UNKNOWN:
        return Observed(info.name, info.version, None, "the service does not report its version")
    return Observed(info.name, info.version, running)


def observe(info: ServiceInfo, endpoints: Endpoints) -> Observed | None:
    """The running version of the stack's service ``info``; None for a service outside the catalog (the app's own
    containers), which has no version probe."""
    probe = next((service.version for service in SERVICES if service.name == info.name and service.version), None)
    return observe_one(info, probe, endpoints) if probe else None
