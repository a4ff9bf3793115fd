"""NativeProvider: the stack's services as real local processes on 127.0.0.1 (no Docker).

``up`` returns with the services running (each in its own session); everything ``down`` needs — process
records (pid + create time), extra paths to remove — is in ``StackHandle.state``, so ``down`` can run in
another process later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from harness.console import Progress, silent
from harness.endpoints import Endpoints
from harness.native.orchestrate import NativeGroup, remove_paths
from harness.options import ProviderOptions, option
from harness.providers.base import Provider, StackHandle
from harness.services import postgres
from harness.services.launch import RunContext
from harness.services.postgres.tools import PgClient, local_client
from harness.watch import WatchTarget, process_targets


@dataclass(frozen=True)
class NativeOptions(ProviderOptions):
    """Options of the native provider (``--option KEY=VALUE``)."""

    provider: ClassVar[str] = "native"
    postgres_major: int = option(postgres.DEFAULT_MAJOR, "PostgreSQL major version (default: the project's answer)")
    aws: str = option("auto", "LocalStack when it installs (Python >= 3.12), else moto", ("auto", "localstack", "moto"))


class NativeProvider(Provider):
    """Every service as a local process on 127.0.0.1 (no Docker)."""

    name = "native"
    Options = NativeOptions

    def up(self, run_dir: Path, progress: Progress = silent) -> StackHandle:
        """Start every native service as a local process; remove the run directory if any fails."""
        self.typed_options()
        run_dir.mkdir(parents=True, exist_ok=True)
        group = NativeGroup()
        began = time.monotonic()
        try:
            group.start(RunContext(run_dir=run_dir, options=dict(self.options)), progress)
        except BaseException:
            remove_paths([*group.registry.cleanup, run_dir])
            raise
        endpoints = Endpoints(provider=self.name, services=group.infos(), **group.endpoint_fields())
        progress(f"native stack ready in {time.monotonic() - began:.1f} s")
        state = {
            **group.record(),
            "services": {s.launch.name: s.launch.state for s in group.started},
            "start_seconds": {s.launch.name: round(s.seconds, 2) for s in group.started},
        }
        return StackHandle(provider=self.name, endpoints=endpoints, run_dir=run_dir, state=state)

    @classmethod
    def watch_targets(cls, handle: StackHandle, secrets: tuple[str, ...] = ()) -> list[WatchTarget]:
        """Every service process, from its record."""
        return process_targets(handle.state.get("processes", []), secrets)

    @classmethod
    def postgres_client(cls, handle: StackHandle, project_dir: Path, server_major: int) -> PgClient:
        """The client tools of the installation the provider started the server from."""
        return local_client(handle.endpoints.database_url, handle.state["services"]["postgres"]["bin_dir"])

    def down(self, handle: StackHandle, *, keep_data: bool = False) -> None:
        """Stop the recorded processes and, unless ``keep_data``, delete their data."""
        NativeGroup.stop(handle.state, remove=not keep_data, extra_paths=[handle.run_dir])
