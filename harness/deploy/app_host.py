"""What a provider offers when it runs the app itself (``Provider.app_host``): the deployment steps start the
backend and frontend as its containers instead of local processes (harness.deploy.app_containers).

A leaf: the steps and the providers both import it, and it imports nothing of the harness.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class AppHost(Protocol):
    """The app's services as containers of the provider's stack."""

    @property
    def gateway(self) -> str:
        """The bridge's gateway: where the containers reach the host (the sidecars listen there) and where a
        request from the host appears to come from."""
        ...

    def inside(self, env: Mapping[str, str]) -> dict[str, str]:
        """``env`` with the stack's host addresses replaced by the addresses its containers reach them at."""
        ...

    def run(self, service: str, env: Mapping[str, str], *, publish: str = "") -> str:
        """Start one container of ``service`` with ``env`` on top of its own, ``publish`` (``HOST_IP:PORT:TARGET``)
        its port on the host if given; returns the container's id."""
        ...

    def address(self, container: str) -> str:
        """The container's address on the stack's network (reachable from the host)."""
        ...

    def follow_logs(self, container: str) -> list[str]:
        """A command that prints the container's output until it ends."""
        ...
