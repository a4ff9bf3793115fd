"""harness.exposure: where a started process (and its children) really listens, and which of that is loopback."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from harness.exposure import Listener, beyond, bridge_of, exposed, listeners
from harness.ports import LOCALHOST, free_port
from harness.process import ManagedProcess, ProcessRecord
from harness.readiness import TcpOpen
from tests.helpers import needs
from tests.helpers.engine import REQUIRE

# A parent that starts a child; the child listens on TCP and receives on UDP, both on loopback.
SERVER = """
import socket, subprocess, sys, time
if sys.argv[1] == "parent":
    subprocess.Popen([sys.executable, __file__, "child", *sys.argv[2:]])
    time.sleep(300)
udp = socket.socket(type=socket.SOCK_DGRAM); udp.bind((sys.argv[2], int(sys.argv[3])))
tcp = socket.socket(); tcp.bind((sys.argv[2], int(sys.argv[3]))); tcp.listen()  # the readiness signal: last
out = socket.create_connection((sys.argv[2], int(sys.argv[3])))  # a client's end: not a listener
time.sleep(300)
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[ProcessRecord, int]]:
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    port = free_port()
    argv = [sys.executable, str(script), "parent", "127.3.0.9", str(port)]
    process = ManagedProcess("probe", argv, log_path=tmp_path / "probe.log", probes=[TcpOpen(port, "127.3.0.9")])
    record = process.start(timeout=20)
    yield record, port
    process.stop()


def test_listeners_are_read_from_the_process_and_its_children(server: tuple[ProcessRecord, int]) -> None:
    record, port = server
    found = listeners(record)
    assert {(item.protocol, item.address, item.port) for item in found} == {
        ("tcp", "127.3.0.9", port),
        ("udp", "127.3.0.9", port),
    }, found
    assert all(item.service == "probe" and item.pid != record.pid for item in found)  # the child's sockets
    every, beyond = exposed([record])
    assert every == found and beyond == []


def test_a_gone_process_has_no_listeners(tmp_path: Path) -> None:
    gone = ProcessRecord("gone", pid=2**22 - 1, create_time=0.0, argv=("x",), log_path=str(tmp_path / "x.log"))
    assert listeners(gone) == []


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        (LOCALHOST, True),
        ("127.3.0.9", True),
        ("::1", True),
        ("0.0.0.0", False),  # every interface: the defect the suite's check exists for
        ("::", False),
        ("10.0.0.5", False),
        ("fe80::1%eth0", False),
    ],
)
def test_only_loopback_addresses_count_as_loopback(address: str, loopback: bool) -> None:
    """The negative side without binding a wildcard here (that would break the rule under test): the addresses
    the kernel reports for such sockets."""
    listener = Listener("svc", 1, "prog", "tcp", address, 80)
    assert listener.on_loopback is loopback
    assert ("[" in listener.describe()) is (":" in address)


def _ipv4(interface: str) -> list[str]:
    return [entry.address for entry in psutil.net_if_addrs().get(interface, []) if entry.family == socket.AF_INET]


def test_only_an_address_on_a_bridge_is_a_bridge_address() -> None:
    """A Docker network's gateway (on its Linux bridge) is one; loopback and the host's other interfaces are not."""
    bridges = [name for name in psutil.net_if_addrs() if Path(f"/sys/class/net/{name}/bridge").is_dir()]
    others = [name for name in psutil.net_if_addrs() if name not in bridges and name != "lo"]
    assert bridge_of(LOCALHOST) is None
    for name in others:
        assert all(bridge_of(address) is None for address in _ipv4(name)), name
    if not any(_ipv4(name) for name in bridges):
        needs.missing("no bridge interface with an IPv4 address here (a Docker engine makes docker0)", REQUIRE)
    for name in bridges:
        assert all(bridge_of(address) == name for address in _ipv4(name)), name


def test_only_the_given_bridge_addresses_are_within() -> None:
    within = [Listener("a", 1, "p", "tcp", LOCALHOST, 80), Listener("b", 2, "p", "udp", "172.17.0.1", 53)]
    outside = [Listener("c", 3, "p", "tcp", "172.18.0.1", 80), Listener("d", 4, "p", "tcp", "0.0.0.0", 80)]
    assert beyond([*within, *outside], bridges={"172.17.0.1"}) == outside
    assert beyond([*within, *outside]) == within[1:] + outside  # no bridge given: loopback only
