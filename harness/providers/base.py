"""What every provider implements: start the stack's services, yield an Endpoints record, stop them again.

``up`` and ``down`` may run in different processes (``harness up`` returns with the services still running and
``harness down`` stops them later), so everything ``down`` needs is in ``StackHandle.state``, which is JSON.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from harness.console import Progress, silent
from harness.deploy.app_host import AppHost
from harness.endpoints import Endpoints
from harness.errors import ProviderError
from harness.options import ProviderOptions
from harness.ports import LOCALHOST
from harness.services import Service, dns, oidc, stripe
from harness.services.postgres.tools import PgClient, local_client, local_tool_dir
from harness.watch import WatchTarget

__all__ = ["Progress", "Provider", "ProviderError", "StackHandle", "silent"]


@dataclass
class StackHandle:
    """A running stack: its endpoints plus provider-specific state needed to stop it."""

    provider: str
    endpoints: Endpoints
    run_dir: Path
    state: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "endpoints": self.endpoints.to_dict(reveal=True),
            "run_dir": str(self.run_dir),
            "state": self.state,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StackHandle:
        return cls(
            provider=data["provider"],
            endpoints=Endpoints.from_dict(data["endpoints"]),
            run_dir=Path(data["run_dir"]),
            state=data.get("state", {}),
        )


class Provider(ABC):
    """One way to obtain the stack's services (native processes, compose, testcontainers, external)."""

    name: ClassVar[str]
    Options: ClassVar[type[ProviderOptions]] = ProviderOptions

    def __init__(self, project_dir: Path, options: dict[str, Any] | None = None) -> None:
        self.project_dir = project_dir
        self.options = options or {}

    def typed_options(self) -> Any:
        """``self.options`` as this provider's ``Options`` record; a bad option is a ProviderError naming it."""
        try:
            return self.Options.parse(self.options)
        except ValueError as exc:
            raise ProviderError(str(exc)) from None

    @abstractmethod
    def up(self, run_dir: Path, progress: Progress = silent) -> StackHandle:
        """Start every service, wait until each is ready, return the handle. Clean up what started on failure."""

    @abstractmethod
    def down(self, handle: StackHandle, *, keep_data: bool = False) -> None:
        """Stop every service of ``handle`` and remove its data unless ``keep_data``."""

    @classmethod
    def sidecars(cls, handle: StackHandle, options: Mapping[str, Any]) -> list[Service]:
        """Catalog services the harness must run beside this provider's stack: its test IdP when the stack names no
        OIDC issuer, the DNS stand-in for SSO domain proofs when it serves no DNS. Container providers add the
        stateful Stripe stand-in (see ``stripe_stand_in``)."""
        needed = [oidc.SERVICE] if not handle.endpoints.oidc_issuer else []
        return [*needed, *([dns.SERVICE] if not handle.endpoints.dns_url else [])]

    @classmethod
    def watch_targets(cls, handle: StackHandle, secrets: tuple[str, ...] = ()) -> list[WatchTarget]:
        """The stack's services to watch during deployment and checks (harness.watch): each says when its service
        ended and how. None by default; ``secrets`` are masked in the log lines a target quotes."""
        return []

    @classmethod
    def app_host(cls, handle: StackHandle) -> AppHost | None:
        """The stack's own way to run the app's services, or None: the harness runs them as local processes."""
        return None

    @classmethod
    def sidecar_host(cls, handle: StackHandle) -> str:
        """Where the sidecars listen: 127.0.0.1, or where the stack's app containers reach the host."""
        return LOCALHOST

    @classmethod
    def postgres_client(cls, handle: StackHandle, project_dir: Path, server_major: int) -> PgClient:
        """pg_dump/pg_restore matching the stack's server: by default local tools of its major version."""
        return local_client(handle.endpoints.database_url, local_tool_dir(server_major))


def stripe_stand_in(options: Mapping[str, Any]) -> list[Service]:
    """The stateful Stripe stand-in beside a container stack, unless ``stripe=stack`` keeps its stripe-mock
    (stateless: every customer gets the same fixture id, so billing state cannot be rehearsed against it)."""
    return [stripe.SERVICE] if str(options.get("stripe", "fake")) != "stack" else []
