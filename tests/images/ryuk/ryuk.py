"""Ryuk stand-in: removes the containers, networks and volumes of a testcontainers session once it is gone.

Not moby-ryuk: only the part testcontainers-python relies on. Clients connect to 8080 and send filter lines
(``label=key=value``, several joined by ``&``), each answered ``ACK``. When the last client disconnects and none
reconnects within RYUK_RECONNECTION_TIMEOUT (default 10s), everything matching any filter is removed and the
reaper exits; it also exits when no client connects within RYUK_CONNECTION_TIMEOUT (default 60s).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import threading
import time
import urllib.parse

DOCKER_SOCKET = "/var/run/docker.sock"


class DockerAPI(http.client.HTTPConnection):
    """HTTP over the engine's Unix socket."""

    def __init__(self) -> None:
        super().__init__("docker")

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(DOCKER_SOCKET)


def docker(method: str, path: str) -> object:
    api = DockerAPI()
    api.request(method, path)
    response = api.getresponse()
    body = response.read()
    api.close()
    return json.loads(body) if body and response.status < 300 else None


def seconds(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text)) or float(text)


def reap(filters: set[str]) -> None:
    for line in filters:
        labels = [part.removeprefix("label=") for part in line.split("&") if part.startswith("label=")]
        if not labels:
            continue
        query = urllib.parse.quote(json.dumps({"label": labels}))
        for container in docker("GET", f"/containers/json?all=1&filters={query}") or []:
            docker("DELETE", f"/containers/{container['Id']}?force=1&v=1")
            print(f"ryuk stand-in: removed container {container['Id'][:12]}", flush=True)
        for network in docker("GET", f"/networks?filters={query}") or []:
            docker("DELETE", f"/networks/{network['Id']}")
        for volume in (docker("GET", f"/volumes?filters={query}") or {}).get("Volumes") or []:
            docker("DELETE", f"/volumes/{volume['Name']}")


def main() -> None:
    filters: set[str] = set()
    clients = 0
    last_seen = time.monotonic()
    lock = threading.Lock()

    def serve(conn: socket.socket) -> None:
        nonlocal clients, last_seen
        with conn, conn.makefile("rb") as lines:
            for raw in lines:
                line = raw.decode().strip()
                if line:
                    with lock:
                        filters.add(line)
                    conn.sendall(b"ACK\n")
        with lock:
            clients -= 1
            last_seen = time.monotonic()

    server = socket.create_server(("0.0.0.0", 8080))
    server.settimeout(0.5)
    print("ryuk stand-in: Started!", flush=True)
    reconnect = seconds(os.environ.get("RYUK_RECONNECTION_TIMEOUT", "10s"))
    first = seconds(os.environ.get("RYUK_CONNECTION_TIMEOUT", "60s"))
    connected_once = False
    while True:
        try:
            conn, _ = server.accept()
        except TimeoutError:
            with lock:
                idle = clients == 0 and time.monotonic() - last_seen > (reconnect if connected_once else first)
            if idle:
                break
            continue
        with lock:
            clients += 1
            connected_once = True
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
    reap(filters)
    print("ryuk stand-in: done", flush=True)


if __name__ == "__main__":
    main()
