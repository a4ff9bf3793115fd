"""A project's stack across commands: start it, deploy onto it, find it again, stop it — recorded in StackState."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from harness import interrupts, sidecars
from harness.backup.database import Server
from harness.console import Progress, silent
from harness.deploy.context import Context, Deployment
from harness.deploy.sequence import run_sequence
from harness.process import ProcessRecord, noted_under, stop_record
from harness.project import Project
from harness.providers import get_provider, provider_class
from harness.providers.base import StackHandle
from harness.report import Outcome
from harness.state import StackState


class StackError(RuntimeError):
    """The stack is not in the state a command needs (not running, already running, not deployed)."""


class StackBusy(StackError):
    """``up`` refused: the project's stack, or the data one kept, is there already, and belongs to someone else."""


@dataclass
class Running:
    """A running stack and what has been deployed onto it."""

    project: Project
    handle: StackHandle
    deployment: Deployment = field(default_factory=Deployment)

    def __post_init__(self) -> None:
        self.deployment = Deployment.from_dict(self.deployment)

    @property
    def state(self) -> StackState:
        return StackState(self.project.root)

    def context(self, progress: Progress = silent) -> Context:
        """The deployment Context that steps and drills run against."""
        return Context(
            project=self.project,
            endpoints=self.handle.endpoints,
            run_dir=self.handle.run_dir,
            progress=progress,
            deployment=self.deployment,
            app_host=provider_class(self.handle.provider).app_host(self.handle),
        )

    def app_processes(self) -> list[dict[str, Any]]:
        """Records of the processes the harness runs beside the provider's services: sidecars, deployed apps."""
        sidecars = (self.handle.state.get("sidecars") or {}).get("processes", [])
        return [*sidecars, *(self.deployment.processes or {}).values()]

    def local_processes(self) -> list[ProcessRecord]:
        """Every process the harness started on this machine for the stack: the native provider's services
        (container providers record none) and ``app_processes``."""
        records = [*self.handle.state.get("processes", []), *self.app_processes()]
        return [ProcessRecord.from_dict(record) for record in records]

    def database(self) -> Server:
        """The stack's PostgreSQL server for the backup library, with the client tools its provider offers."""
        provider = provider_class(self.handle.provider)
        return Server(
            self.handle.endpoints.database_url,
            functools.partial(provider.postgres_client, self.handle, self.project.root),
        )

    def save(self) -> None:
        """Persist the handle and deployment record so later commands find them."""
        self.state.save(self.handle, self.deployment)


def up(project: Project, provider: str, options: dict[str, Any] | None = None, progress: Progress = silent) -> Running:
    """Start the provider's services and the sidecars, then record them; refuses a second stack."""
    state = StackState(project.root)
    if state.exists():
        raise StackBusy(f"a stack for {project.root} is already running: run `harness down` first")
    options = {"postgres_major": project.postgres_major, **(options or {})}
    impl = get_provider(provider, project.root, options)
    if state.run_dir.exists() and any(state.run_dir.iterdir()):
        raise StackBusy(
            f"{state.run_dir} holds data kept by `harness down --keep-data`: inspect it, then delete it to start anew"
        )
    run_dir = state.create_run_dir()
    try:
        handle = impl.up(run_dir, progress)
    except BaseException:
        state.remove()
        raise
    try:
        interrupts.check()  # a Ctrl-C that landed where it was swallowed while the services started
        handle = sidecars.start(handle, options, progress)
        interrupts.check()
    except BaseException:
        sidecars.stop(handle)
        impl.down(handle)
        state.remove()
        raise
    running = Running(project, handle)
    running.save()
    return running


def load(project: Project) -> Running:
    """The stack an earlier command started, read back from its state file."""
    state = StackState(project.root)
    if not state.exists():
        raise StackError(f"no stack is running for {project.root}: start one with `harness up`")
    handle, deployment = state.load()
    return Running(project, handle, deployment)


def deploy(running: Running, progress: Progress = silent) -> list[Outcome]:
    """Run steps 1-5; the deployment record is saved even when a step fails, so `down` stops what started.

    A deployed stack is redeployed: the earlier deployment's processes are stopped first (they would hold the
    frontend's port, and a record of only the new ones would leave them running past `down`)."""
    for name in stop_deployment(running):
        progress(f"{name}: stopped the earlier deployment's process (redeploying)")
    running.save()  # the stopped processes leave the record before new ones start
    ctx = running.context(progress)
    try:
        results = run_sequence(ctx)
    finally:
        running.save()
    deployment = running.deployment
    deployment.steps = results
    if deployment.backend_url and deployment.frontend_url:
        running.handle.endpoints = running.handle.endpoints.with_deployment(
            backend_url=deployment.backend_url, frontend_url=deployment.frontend_url
        )
    running.save()
    return results


def stop_deployment(running: Running) -> list[str]:
    """Stop the deployed processes (backend, worker, frontend); returns the names that were running."""
    stopped = []
    for name, data in (running.deployment.processes or {}).items():
        if stop_record(ProcessRecord.from_dict(data)):
            stopped.append(name)
    running.deployment.processes = {}
    return stopped


def stop_leftovers(running: Running) -> list[str]:
    """Stop what was started under the run directory and no record owns: a drill's or the fault phase's backends
    and servers whose pytest worker was killed (Ctrl-C) before it could stop them; returns their names."""
    owned = {(record.pid, record.create_time) for record in running.local_processes()}
    stopped = []
    for record in noted_under(running.handle.run_dir):
        if (record.pid, record.create_time) not in owned and stop_record(record):
            stopped.append(record.name)
    return stopped


def down(project: Project, *, keep_data: bool = False, progress: Progress = silent) -> bool:
    """Stop the deployment's processes and the provider's services; False when nothing was running."""
    state = StackState(project.root)
    if not state.exists():
        return False
    running = load(project)
    for name in stop_deployment(running):
        progress(f"{name}: stopped")
    for name in stop_leftovers(running):
        progress(f"{name}: stopped (left running by an interrupted check)")
    # Each part is stopped even when another fails; the record stays while anything may still run, so a
    # second `harness down` can finish the job.
    failures = []
    provider = get_provider(running.handle.provider, project.root)
    stops = {
        "sidecars": lambda: sidecars.stop(running.handle),
        "services": lambda: provider.down(running.handle, keep_data=keep_data),
    }
    for part, stop in stops.items():
        try:
            stop()
        except Exception as exc:
            failures.append(f"{part}: {exc}")
    if failures:
        running.save()
        raise StackError("could not stop everything; run `harness down` again. " + "; ".join(failures))
    if keep_data:
        state.path.unlink(missing_ok=True)
    else:
        state.remove()
    progress(f"stack: stopped, data kept in {state.run_dir}" if keep_data else "stack: stopped and removed")
    return True
