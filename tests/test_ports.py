"""free_port: OS-assigned, reserved machine-wide, and never a port that is taken."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from harness import ports


def test_free_port_is_bindable_and_not_handed_out_twice() -> None:
    handed = [ports.free_port() for _ in range(20)]
    assert len(set(handed)) == len(handed)
    for port in handed:
        assert ports.port_is_free(port)


def test_taken_port_is_avoided(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind((ports.LOCALHOST, 0))
        taken.listen()
        busy = taken.getsockname()[1]
        real = ports._os_assigned_port
        offers = iter([busy])
        # The OS offers a port that is taken by the time it is checked (another program won the race).
        monkeypatch.setattr(ports, "_os_assigned_port", lambda: next(offers, None) or real())
        port = ports.free_port(span=2)
        assert port != busy and busy not in (port, port + 1)
        assert ports.port_is_free(port) and ports.port_is_free(port + 1)


def test_span_skips_a_start_whose_neighbour_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind((ports.LOCALHOST, 0))
        taken.listen()
        busy = taken.getsockname()[1]
        real = ports._os_assigned_port
        offers = iter([busy - 1])
        monkeypatch.setattr(ports, "_os_assigned_port", lambda: next(offers, None) or real())
        port = ports.free_port(span=2)
        assert port != busy - 1


def test_port_reserved_by_another_run_is_skipped(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(ports, "_RESERVATIONS", tmp_path)
    first = ports.free_port()
    real = ports._os_assigned_port
    offers = iter([first])  # the OS offers the same number again, as it may to a concurrent run
    monkeypatch.setattr(ports, "_os_assigned_port", lambda: next(offers, None) or real())
    assert ports.free_port() != first


def test_a_process_releases_its_reservations_when_it_exits() -> None:
    code = "from harness.ports import free_port, _RESERVATIONS; p = free_port(); print(_RESERVATIONS / str(p))"
    marker = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert marker.endswith(tuple("0123456789"))
    assert not Path(marker).exists(), "the port reservation outlived the process that made it"
