"""A DNS stand-in for SSO domain verification: answers TXT queries over UDP from records the harness publishes.

The backend proves an SSO domain by looking up ``_better-auth-token.<domain>`` (TXT) at the resolver
SSO_DNS_RESOLVER names. This server answers those lookups on UDP 127.0.0.1:P and takes its records over HTTP
on TCP 127.0.0.1:P (the same port number): ``POST /_harness/txt`` with ``{"name": ..., "value": ...}`` adds
a TXT record, as a domain owner would publish one; ``GET /_harness/txt`` lists them (the readiness probe).
Unknown names answer NXDOMAIN; other types answer empty.

Run: ``python -m harness.services.dns.fake --port P``; in-process: ``TXTRecords`` + ``serve_udp``.
"""

from __future__ import annotations

import asyncio
import os
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.services.stand_in import LOCALHOST, address_arguments, run

TXT = 16
CONTROL_VARIABLE = "HARNESS_DNS_URL"  # until the stack reports the stand-in among its endpoints


def control_url(endpoints: Any) -> str:
    """Where the stack's DNS stand-in takes records: ``endpoints.dns_url``, else $HARNESS_DNS_URL."""
    url = str(getattr(endpoints, "dns_url", "") or os.environ.get(CONTROL_VARIABLE, ""))
    if not url:
        raise RuntimeError(f"the stack runs no DNS stand-in (endpoints.dns_url / ${CONTROL_VARIABLE} unset)")
    return url.rstrip("/")


def publish_txt(url: str, name: str, value: str) -> None:
    """Publish a TXT record at the DNS stand-in whose control API is ``url``."""
    httpx.post(f"{url}/_harness/txt", json={"name": name, "value": value}, timeout=10).raise_for_status()


class TXTRecords:
    """Published TXT records by lower-case name, and the DNS answers built from them."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}

    def publish(self, name: str, value: str) -> None:
        self.records.setdefault(name.rstrip(".").lower(), []).append(value)

    def answer(self, query: bytes) -> bytes | None:
        """The response to one DNS query packet (None for what is not a query)."""
        if len(query) < 12:
            return None
        query_id, flags, questions = struct.unpack("!HHH", query[:6])
        if flags & 0x8000 or questions != 1:
            return None
        labels, offset = [], 12
        while offset < len(query) and query[offset]:
            labels.append(query[offset + 1 : offset + 1 + query[offset]].decode("ascii", "replace"))
            offset += 1 + query[offset]
        question_end = offset + 5
        qtype = struct.unpack("!H", query[offset + 1 : offset + 3])[0]
        values = self.records.get(".".join(labels).lower())
        rcode = 3 if values is None else 0
        answers = [self._txt(value) for value in values or []] if qtype == TXT else []
        header = struct.pack("!HHHHHH", query_id, 0x8180 | rcode, 1, len(answers), 0, 0)
        return header + query[12:question_end] + b"".join(answers)

    @staticmethod
    def _txt(value: str) -> bytes:
        raw = value.encode()
        chunks = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
        rdata = b"".join(bytes([len(chunk)]) + chunk for chunk in chunks)
        return struct.pack("!HHHIH", 0xC00C, TXT, 1, 60, len(rdata)) + rdata


class _UDP(asyncio.DatagramProtocol):
    def __init__(self, records: TXTRecords) -> None:
        self.records = records
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        reply = self.records.answer(data)
        if reply is not None:
            self.transport.sendto(reply, addr)


async def serve_udp(records: TXTRecords, port: int, host: str = LOCALHOST) -> asyncio.DatagramTransport:
    """Answer DNS queries for ``records`` on UDP ``host:port`` until the returned transport is closed."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: _UDP(records), local_addr=(host, port))
    return transport


def build_app(port: int, host: str = LOCALHOST) -> Starlette:
    """The control API on TCP; the DNS listener on the same port number over UDP, for the app's lifetime."""
    records = TXTRecords()

    async def publish(request: Request) -> Response:
        data = await request.json()
        name, value = data.get("name"), data.get("value")
        if not isinstance(name, str) or not isinstance(value, str) or not name:
            return JSONResponse({"error": "need string name and value"}, status_code=400)
        records.publish(name, value)
        return JSONResponse({"name": name.rstrip(".").lower(), "values": records.records[name.rstrip(".").lower()]})

    async def listing(request: Request) -> Response:
        return JSONResponse(records.records)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        transport = await serve_udp(records, port, host)
        try:
            yield
        finally:
            transport.close()

    routes = [Route("/_harness/txt", publish, methods=["POST"]), Route("/_harness/txt", listing, methods=["GET"])]
    return Starlette(routes=routes, lifespan=lifespan)


if __name__ == "__main__":
    host, port = address_arguments(__doc__.splitlines()[0])
    run(build_app(port, host), port, host=host)
