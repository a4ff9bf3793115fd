"""What the processes a run started listen on.

The network rule: a server on this machine binds loopback only (127.0.0.0/8, ::1), so nothing a rehearsal starts
answers another host. A service's own settings say where it should listen; this reads where it does, from the
kernel's socket table, for each started process and its children (LocalStack's default gateway, for one, drops
the host of its listen address and binds every interface).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import psutil


class Started(Protocol):
    """A started process as harness.process records it (which checks its ports here, so this imports nothing)."""

    @property
    def name(self) -> str: ...

    def process(self) -> psutil.Process | None: ...


@dataclass(frozen=True)
class Listener:
    """One listening TCP socket or receiving UDP socket of a started service."""

    service: str
    pid: int
    program: str
    protocol: str  # "tcp" or "udp"
    address: str
    port: int

    @property
    def on_loopback(self) -> bool:
        return ipaddress.ip_address(self.address.split("%", 1)[0]).is_loopback

    def describe(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.service} ({self.program}, pid {self.pid}) {self.protocol} {host}:{self.port}"


def listeners(record: Started) -> list[Listener]:
    """The sockets ``record``'s process and its descendants listen on (none when it is gone)."""
    leader = record.process()
    if leader is None:
        return []
    found = []
    for proc in (leader, *leader.children(recursive=True)):
        try:
            program, sockets = proc.name(), proc.net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue  # ended while being read
        for sock in sockets:
            tcp = sock.type == socket.SOCK_STREAM
            if (tcp and sock.status != psutil.CONN_LISTEN) or (not tcp and sock.raddr):
                continue  # a connection, or a connected UDP socket: a client's end, not a server's
            protocol = "tcp" if tcp else "udp"
            found.append(Listener(record.name, proc.pid, program, protocol, sock.laddr.ip, sock.laddr.port))
    return found


def exposed(records: Iterable[Started], bridges: Collection[str] = ()) -> tuple[list[Listener], list[Listener]]:
    """(every listener of ``records``, those beyond loopback and ``bridges``)."""
    every = [listener for record in records for listener in listeners(record)]
    return every, beyond(every, bridges)


def beyond(found: Iterable[Listener], bridges: Collection[str] = ()) -> list[Listener]:
    """The listeners on neither loopback nor one of the ``bridges`` addresses."""
    return [listener for listener in found if not (listener.on_loopback or listener.address in bridges)]


def bridge_of(address: str) -> str | None:
    """The Linux bridge interface (a Docker network's, say) that holds ``address`` on this host, if one does: the
    rule's one exception, where only the containers on that bridge (and this host) reach a listener."""
    for interface, addresses in psutil.net_if_addrs().items():
        if any(entry.address == address for entry in addresses) and Path(f"/sys/class/net/{interface}/bridge").is_dir():
            return interface
    return None


def held_elsewhere(record: Started, ports: Iterable[int]) -> list[str]:
    """Of ``ports`` (which answer), those no process of ``record`` listens on, each with who does: a service that
    lost its port to another program would otherwise pass its readiness probes on that program's answers."""
    own = {listener.port for listener in listeners(record)}
    return [f"port {port} is held by {holder(port)}, not by {record.name}" for port in sorted(set(ports) - own)]


def holder(port: int) -> str:
    """Which program listens on TCP ``port`` (as far as this user may see)."""
    for sock in psutil.net_connections(kind="tcp"):
        if sock.status == psutil.CONN_LISTEN and sock.laddr.port == port and sock.pid is not None:
            try:
                return f"{psutil.Process(sock.pid).name()} (pid {sock.pid})"
            except psutil.NoSuchProcess:
                break
    return "another process"
