"""One TLS context for the HTTP clients the harness makes by the thousand (browsers, probes, polls).

httpx builds a fresh SSL context for each client (it loads the CA bundle: 10-20 ms of CPU each), and a rehearsal
makes thousands of clients: one per simulated browser, per forged request of the fault phase, per poll of
Prometheus or of a starting service. Most of them speak plain HTTP to 127.0.0.1; the context serves a staging
target on https.
"""

from __future__ import annotations

from typing import Any

import httpx

CONTEXT = httpx.create_ssl_context()


def transport(local_address: str | None = None) -> httpx.HTTPTransport:
    """A transport from ``local_address`` (a loopback address of its own: its own rate-limit bucket)."""
    return httpx.HTTPTransport(local_address=local_address, verify=CONTEXT)


def get(url: str, **kwargs: Any) -> httpx.Response:
    """``httpx.get`` on the shared context, for the polls."""
    return httpx.get(url, verify=CONTEXT, **kwargs)
