"""Start a service as a detached local process, wait until it is ready, and stop it later by record.

Why subprocess + psutil rather than mirakuru: ``harness up`` starts the services and returns, and
``harness down`` stops them from another process, so stopping must work from a JSON record (pid +
create time) without the original process object; mirakuru's executors stop only what they started
themselves and pipe output away, whereas a failure message here must show the log's last lines. The
readiness loop also has to watch for the process dying early and for cancellation (Ctrl-C, or another
service failing), which a few lines over ``Popen`` do plainly.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

from harness.commands import TAIL_LINES, run_logged, tail, user_kwargs
from harness.errors import ProviderError
from harness.exposure import held_elsewhere
from harness.readiness import Probe, TcpOpen

LOG_TAIL_LINES = TAIL_LINES
_CREATE_TIME_TOLERANCE = 0.05  # seconds; psutil derives create_time from boot time + clock ticks
STOP_GRACE = 10.0  # seconds a process gets to shut down cleanly after SIGTERM, by default


class ServiceStartError(ProviderError):
    """A service did not start; the message names it, shows the exact command and the end of its log."""

    def __init__(self, service: str, argv: Sequence[str], reason: str, log_path: Path | None, tail: str):
        self.service = service
        self.argv = list(argv)
        self.reason = reason
        self.log_path = log_path
        self.tail = tail
        lines = [f"{service} failed to start: {reason}", f"command: {shlex.join(self.argv)}"]
        if log_path is not None:
            lines.append(f"last log lines ({log_path}):")
            lines.append(tail.rstrip() or "(log is empty)")
        super().__init__("\n".join(lines))

    @property
    def port_conflict(self) -> bool:
        """True when the reason or the log says a port was taken (lost bind race): worth retrying on other ports."""
        text = f"{self.reason}\n{self.tail}".lower()
        return "address already in use" in text or "address in use" in text or "eaddrinuse" in text


@dataclass(frozen=True)
class ProcessRecord:
    """Enough to find and stop a process from another Python process (JSON-able)."""

    name: str
    pid: int
    create_time: float
    argv: tuple[str, ...]
    log_path: str
    stop_grace: float = STOP_GRACE  # seconds from SIGTERM to SIGKILL

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "argv": list(self.argv)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProcessRecord:
        return cls(
            name=data["name"],
            pid=int(data["pid"]),
            create_time=float(data["create_time"]),
            argv=tuple(data["argv"]),
            log_path=data["log_path"],
            stop_grace=float(data.get("stop_grace", STOP_GRACE)),
        )

    def process(self) -> psutil.Process | None:
        """The live process this record describes, or None if it ended or its PID was reused."""
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.create_time) > _CREATE_TIME_TOLERANCE:
                return None
            if proc.status() == psutil.STATUS_ZOMBIE:
                return None
        except psutil.NoSuchProcess:
            return None
        return proc

    def is_alive(self) -> bool:
        return self.process() is not None


# Children this interpreter started and has not reaped yet, by pid. Services outlive the code that started them,
# so their Popen objects must not be garbage collected while running (Popen.__del__ warns "subprocess is still
# running", an error under `-W error`); stop_record reaps them through this table.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def stop_record(record: ProcessRecord, timeout: float | None = None) -> bool:
    """Stop the process of ``record`` and its whole process group: SIGTERM, then SIGKILL after ``timeout`` (the
    record's own grace unless given).

    Does nothing (returns False) when the PID is gone or now belongs to another process (different
    create time), so a reused PID is never signalled.
    """
    timeout = record.stop_grace if timeout is None else timeout
    proc = record.process()
    if proc is None:
        if (child := _CHILDREN.get(record.pid)) is not None and child.poll() is not None:
            del _CHILDREN[record.pid]  # it died on its own (a SIGKILLed postmaster): reaped now
        _stop_orphans(record, timeout)
        return False
    members = _group_of(proc)
    _signal(record.pid, members, signal.SIGTERM)
    alive = _wait_gone(members, timeout)
    if alive:
        _signal(record.pid, alive, signal.SIGKILL)
        _wait_gone(alive, 5)
    _reap(record)
    return True


def _reap(record: ProcessRecord) -> None:
    child = _CHILDREN.pop(record.pid, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=1)


def _stop_orphans(record: ProcessRecord, timeout: float) -> None:
    """Stop what is left of the group of a leader that died (a SIGKILLed postmaster leaves its workers).

    Only while the leader's PID is free: Linux never hands out a PID that still names a process group, so the
    group is then the record's own; a live process under that PID is a reuse and nothing is signalled."""
    with contextlib.suppress(psutil.NoSuchProcess):
        if not _is_zombie(psutil.Process(record.pid)):
            return
    orphans = [p for p in _members_of_group(record.pid) if p.pid != record.pid]
    if orphans:
        _signal(record.pid, orphans, signal.SIGTERM)
        alive = _wait_gone(orphans, timeout)
        if alive:
            _signal(record.pid, alive, signal.SIGKILL)
            _wait_gone(alive, 5)


NOTE_SUFFIX = ".process.json"


def _note_beside_log(record: ProcessRecord) -> None:
    """Leave the record beside the process's log, so ``noted_under`` finds a process its starter never stopped
    (a pytest worker killed on Ctrl-C while the fault phase or a drill ran its own backends and servers)."""
    note = Path(record.log_path).with_name(f"{Path(record.log_path).name}.{record.pid}{NOTE_SUFFIX}")
    note.write_text(json.dumps(record.to_dict()))


def noted_under(directory: Path) -> list[ProcessRecord]:
    """Every process started with its log under ``directory`` (a stack's run directory), running or not:
    ``stop_record`` signals only the ones still running under their recorded PID and create time."""
    records = []
    for note in Path(directory).rglob(f"*{NOTE_SUFFIX}"):
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            records.append(ProcessRecord.from_dict(json.loads(note.read_text())))
    return records


def exit_description(record: ProcessRecord) -> str | None:
    """How the process of ``record`` ended ("killed by signal SIGKILL", "exited with code 1"), or None while it
    runs. Only the parent learns an exit status: for a process another `harness` command started, it says so."""
    child = _CHILDREN.get(record.pid)
    if child is not None:
        code = child.poll()
        if code is None:
            return None
        if code < 0:
            return f"killed by signal {signal.Signals(-code).name}"
        return f"exited with code {code}"
    if record.is_alive():
        return None
    return "exited (status unknown: not our child)"


def _wait_gone(procs: Sequence[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until every process exited (reaping our own children); a zombie whose parent is another
    process counts as exited. Returns those still alive at the deadline."""
    deadline = time.monotonic() + timeout
    alive = list(procs)
    while alive:
        _, alive = psutil.wait_procs(alive, timeout=0.05)
        alive = [p for p in alive if not _is_zombie(p)]
        if time.monotonic() > deadline:
            break
    return alive


def _is_zombie(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _group_of(proc: psutil.Process) -> list[psutil.Process]:
    """The process, its descendants, and every process in the group it leads."""
    members = {proc.pid: proc}
    with contextlib.suppress(psutil.Error):
        members.update({child.pid: child for child in proc.children(recursive=True)})
    if _leads_group(proc.pid):
        for other in _members_of_group(proc.pid):
            members.setdefault(other.pid, other)
    return list(members.values())


def _members_of_group(pgid: int) -> list[psutil.Process]:
    members = []
    for other in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(other.pid) == pgid:
                members.append(other)
    return members


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except OSError:
        return False


def _signal(leader: int, members: Sequence[psutil.Process], sig: signal.Signals) -> None:
    if _leads_group(leader):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(leader, sig)
    for member in members:  # descendants that left the group (setsid) get it directly
        with contextlib.suppress(psutil.Error):
            member.send_signal(sig)


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file ('' if it does not exist)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            data = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return tail(data, lines)


def mask(text: str, secrets: Collection[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class ManagedProcess:
    """One service process: started in its own session (it outlives the CLI that started it), output in a
    log file, optionally run as an unprivileged ``user``, ready once every probe passes."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        user: str | None = None,
        probes: Sequence[Probe] = (),
        secrets: Collection[str] = (),
        stop_grace: float | None = None,
        owns_ports: bool = False,
    ) -> None:
        """``owns_ports``: the process itself (or a child) listens on the ports its probes reach, so a probe
        answered by another program is a lost bind race, not readiness."""
        self.name = name
        self.stop_grace = STOP_GRACE if stop_grace is None else stop_grace
        self.argv = [str(a) for a in argv]
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.user = user
        self.probes = list(probes)
        self.secrets = tuple(secrets)
        self.owns_ports = owns_ports
        self._popen: subprocess.Popen[bytes] | None = None
        self.record: ProcessRecord | None = None

    def start(
        self,
        timeout: float = 30.0,
        *,
        on_spawn: Callable[[ProcessRecord], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> ProcessRecord:
        """Spawn the process and block until it is ready; on failure stop it and raise ServiceStartError.

        ``on_spawn`` receives the record as soon as the process exists, so a caller can stop it even if
        this thread is interrupted; ``cancel`` aborts the wait (another service failed, or Ctrl-C).
        """
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            try:
                self._popen = subprocess.Popen(
                    self.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.env,
                    cwd=self.cwd,
                    start_new_session=True,
                    **user_kwargs(self.user),
                )
            except OSError as exc:
                raise self._error(f"could not execute: {exc}") from exc
        _CHILDREN[self._popen.pid] = self._popen
        self.record = ProcessRecord(
            name=self.name,
            pid=self._popen.pid,
            create_time=psutil.Process(self._popen.pid).create_time(),
            argv=tuple(self.argv),
            log_path=str(self.log_path),
            stop_grace=self.stop_grace,
        )
        _note_beside_log(self.record)
        if on_spawn is not None:
            on_spawn(self.record)
        try:
            self._wait_ready(timeout, cancel)
        except BaseException:
            self.stop()
            raise
        return self.record

    def _wait_ready(self, timeout: float, cancel: threading.Event | None) -> None:
        assert self._popen is not None
        deadline = time.monotonic() + timeout
        delay = 0.02
        while True:
            code = self._popen.poll()
            if code is not None:
                raise self._error(f"exited with code {code} before it was ready")
            if cancel is not None and cancel.is_set():
                raise self._error("cancelled while waiting for readiness")
            pending = [probe for probe in self.probes if not probe()]
            self._check_ports()
            if not pending:
                return
            if time.monotonic() > deadline:
                waits = "; ".join(f"{p.description} ({p.last_error})" for p in pending)
                raise self._error(f"not ready after {timeout:.0f} s, waiting for: {waits}")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.2)

    def _check_ports(self) -> None:
        """With ``owns_ports``: a probed port that answers while no process of this service listens on it is a
        lost bind race, said now (the service may never notice: LocalStack's gateway reports Ready regardless)."""
        if not self.owns_ports or self.record is None:
            return
        answering = [probe.port for probe in self.probes if probe.port is not None and TcpOpen(probe.port)()]
        if answering and (taken := held_elsewhere(self.record, answering)):
            raise self._error(f"address already in use: {'; '.join(taken)}")

    def _error(self, reason: str) -> ServiceStartError:
        tail = mask(log_tail(self.log_path), self.secrets)
        return ServiceStartError(self.name, self.argv, mask(reason, self.secrets), self.log_path, tail)

    def stop(self, timeout: float | None = None) -> None:
        """Stop the process group (if it still runs) and reap the child; SIGKILL after ``timeout`` (the launch's
        ``stop_grace`` unless given)."""
        if self.record is not None:
            stop_record(self.record, timeout)
        if self._popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(timeout=1)


def run_step(
    service: str,
    argv: Sequence[str],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
    timeout: float = 120.0,
) -> None:
    """Run a one-shot preparation command (initdb, a venv build) into ``log_path``; raise ServiceStartError
    naming ``service`` with the command and log tail when it fails."""
    argv = [str(a) for a in argv]
    try:
        code = run_logged(argv, log_path=log_path, env=env, cwd=cwd, user=user, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServiceStartError(service, argv, str(exc), log_path, log_tail(log_path)) from exc
    if code != 0:
        raise ServiceStartError(service, argv, f"exited with code {code}", log_path, log_tail(log_path))
