"""ManagedProcess / ProcessRecord / stop_record: readiness errors, group stop, PID-reuse safety."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from harness.ports import LOCALHOST, free_port
from harness.process import (
    ManagedProcess,
    ProcessRecord,
    ServiceStartError,
    exit_description,
    run_step,
    stop_record,
)
from harness.readiness import Custom, HttpStatus, TcpOpen


def _script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "service.py"
    path.write_text(textwrap.dedent(body))
    return [sys.executable, str(path)]


def _sleeper(tmp_path: Path, name: str = "sleeper") -> ManagedProcess:
    """A shell with two background children; ready once it says so (both children exist by then)."""
    argv = ["sh", "-c", "sleep 300 & sleep 300 & echo started; wait"]
    log = tmp_path / f"{name}.log"
    ready = Custom("'started' in the log", lambda: "started" in log.read_text())
    return ManagedProcess(name, argv, log_path=log, probes=[ready])


def test_failure_names_service_command_and_last_log_lines(tmp_path: Path) -> None:
    argv = _script(
        tmp_path,
        """
        for i in range(50):
            print(f"log line {i}")
        raise SystemExit(3)
        """,
    )
    process = ManagedProcess("tiny", argv, log_path=tmp_path / "tiny.log", probes=[TcpOpen(free_port())])
    with pytest.raises(ServiceStartError) as caught:
        process.start(timeout=10)
    message = str(caught.value)
    assert message.startswith("tiny failed to start: exited with code 3")
    assert f"command: {sys.executable} {argv[1]}" in message
    assert "log line 49" in message and "log line 20" in message
    assert "log line 19\n" not in message  # only the last 30 lines


def test_timeout_says_which_probe_was_waited_for(tmp_path: Path) -> None:
    port = free_port()
    argv = _script(tmp_path, "import time\nprint('booting')\ntime.sleep(60)\n")
    process = ManagedProcess(
        "slow", argv, log_path=tmp_path / "slow.log", probes=[HttpStatus(f"http://127.0.0.1:{port}/health")]
    )
    with pytest.raises(ServiceStartError) as caught:
        process.start(timeout=1)
    message = str(caught.value)
    assert "not ready after 1 s" in message and f"HTTP GET http://127.0.0.1:{port}/health -> 200" in message
    assert "ConnectError" in message and "booting" in message
    assert not process.record.is_alive()  # a service that failed readiness is stopped


def test_secrets_are_masked_in_failure_messages(tmp_path: Path) -> None:
    argv = _script(tmp_path, "print('root token: s3cr3t-value')\nraise SystemExit(1)\n")
    process = ManagedProcess(
        "vaultish", argv, log_path=tmp_path / "v.log", probes=[TcpOpen(free_port())], secrets=["s3cr3t-value"]
    )
    with pytest.raises(ServiceStartError) as caught:
        process.start(timeout=5)
    assert "s3cr3t-value" not in str(caught.value) and "root token: ***" in str(caught.value)


def test_unknown_program_is_a_start_error(tmp_path: Path) -> None:
    process = ManagedProcess("ghost", ["/nonexistent/ghost-server"], log_path=tmp_path / "g.log")
    with pytest.raises(ServiceStartError, match="ghost failed to start: could not execute"):
        process.start(timeout=5)


def test_stop_record_kills_the_whole_group(tmp_path: Path) -> None:
    process = _sleeper(tmp_path)
    record = process.start(timeout=5)
    children = psutil.Process(record.pid).children(recursive=True)
    assert len(children) == 2
    assert stop_record(record, timeout=5)
    assert not record.is_alive()
    assert not any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE for child in children)
    assert not stop_record(record)  # already gone: nothing to do


def test_reused_pid_is_never_signalled(tmp_path: Path) -> None:
    process = _sleeper(tmp_path)
    record = process.start(timeout=5)
    try:
        impostor = replace(record, create_time=record.create_time - 1000)  # same PID, other process
        assert not stop_record(impostor, timeout=1)
        assert record.is_alive()
    finally:
        process.stop()


def test_record_stops_the_process_from_another_python_process(tmp_path: Path) -> None:
    process = _sleeper(tmp_path)
    record = process.start(timeout=5)
    data = json.dumps(record.to_dict())
    assert ProcessRecord.from_dict(json.loads(data)) == record
    code = "import json, sys; from harness.process import ProcessRecord, stop_record; "
    code += "sys.exit(0 if stop_record(ProcessRecord.from_dict(json.loads(sys.argv[1]))) else 1)"
    subprocess.run([sys.executable, "-c", code, data], check=True, cwd=Path(__file__).parents[2])
    process.stop()  # reaps the child here; the other process did the stopping
    assert not record.is_alive()


def test_process_outlives_its_session(tmp_path: Path) -> None:
    process = _sleeper(tmp_path)
    record = process.start(timeout=5)
    try:
        assert os.getsid(record.pid) == record.pid  # its own session: Ctrl-C of the CLI does not reach it
    finally:
        process.stop()


def test_run_step_failure_shows_the_command(tmp_path: Path) -> None:
    with pytest.raises(ServiceStartError) as caught:
        run_step("prep", ["sh", "-c", "echo cannot prepare; exit 4"], log_path=tmp_path / "prep.log")
    assert "prep failed to start: exited with code 4" in str(caught.value)
    assert "sh -c 'echo cannot prepare; exit 4'" in str(caught.value) and "cannot prepare" in str(caught.value)


def test_exit_description_says_how_our_child_ended(tmp_path: Path) -> None:
    process = _sleeper(tmp_path)
    record = process.start(timeout=5)
    try:
        assert exit_description(record) is None
        os.kill(record.pid, signal.SIGKILL)
        assert _eventually(lambda: exit_description(record)) == "killed by signal SIGKILL"
    finally:
        process.stop()
    exiting = ManagedProcess("quitter", ["sh", "-c", "sleep 0.5; exit 3"], log_path=tmp_path / "quitter.log")
    record = exiting.start(timeout=5)
    assert _eventually(lambda: exit_description(record)) == "exited with code 3"


def test_exit_description_of_a_process_another_command_started_is_honest(tmp_path: Path) -> None:
    """Only the parent learns an exit status; for another `harness` process's service the record says it ended."""
    process = _sleeper(tmp_path)
    record = process.start(timeout=5)
    process.stop()
    code = "import json, sys; from harness.process import ProcessRecord, exit_description; "
    code += "print(exit_description(ProcessRecord.from_dict(json.loads(sys.argv[1]))))"
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(record.to_dict())],
        check=True,
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == "exited (status unknown: not our child)"


def test_stop_record_stops_what_a_killed_leader_left(tmp_path: Path) -> None:
    """A SIGKILLed postmaster leaves its workers running: stopping its record still stops its group."""
    process = _sleeper(tmp_path)
    record = process.start(timeout=5)
    children = psutil.Process(record.pid).children(recursive=True)
    os.kill(record.pid, signal.SIGKILL)
    assert _eventually(lambda: exit_description(record))
    assert all(child.is_running() for child in children)
    assert not stop_record(record, timeout=5)  # the leader was gone already
    assert not any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE for child in children)


def _eventually(probe: Callable[[], str | None], timeout: float = 5) -> str | None:
    deadline = time.monotonic() + timeout
    while (value := probe()) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return value


def test_a_port_another_program_answers_on_is_a_lost_bind_race(tmp_path: Path) -> None:
    """Another program (this test's socket) listens on the service's port: a process that owns its ports fails at
    its first poll as a port conflict (the native provider re-plans on fresh ports) naming who holds the port,
    whether its probe passed on that program's answers or never would (the timeout would have said nothing of
    it); without ``owns_ports`` the passing probe reads as ready (the negative control)."""
    with socket.create_server((LOCALHOST, 0)) as squatter:
        port = squatter.getsockname()[1]
        held = f"port {port} is held by {psutil.Process().name()} (pid {os.getpid()}), not by late"
        sleeper = ["sleep", "300"]
        for probe in (TcpOpen(port), Custom("never ready", lambda: False, port)):
            process = ManagedProcess("late", sleeper, log_path=tmp_path / "late.log", probes=[probe], owns_ports=True)
            with pytest.raises(ServiceStartError) as caught:
                process.start(timeout=30)
            assert caught.value.reason.startswith("address already in use: "), caught.value.reason  # not a timeout
            assert caught.value.port_conflict and held in str(caught.value), str(caught.value)
            assert not process.record.is_alive()
        unchecked = ManagedProcess("late", sleeper, log_path=tmp_path / "unchecked.log", probes=[TcpOpen(port)])
        assert unchecked.start(timeout=5).is_alive()
        unchecked.stop()


def test_a_process_listening_on_its_probed_port_owns_it(tmp_path: Path) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "http.server", "--bind", LOCALHOST, str(port)]
    process = ManagedProcess(
        "web", argv, log_path=tmp_path / "web.log", probes=[HttpStatus(f"http://{LOCALHOST}:{port}/")], owns_ports=True
    )
    record = process.start(timeout=10)
    try:
        assert record.is_alive()
    finally:
        process.stop()
