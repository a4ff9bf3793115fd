#!/usr/local/bin/python3
"""``/mailpit`` of the mailpit stand-in image: the harness's mail sink, not Mailpit.

``/mailpit`` serves SMTP on 1025 and the Mailpit API subset on 8025 (any SMTP login accepted, as with
MP_SMTP_AUTH_ACCEPT_ANY); ``/mailpit readyz`` exits 0 when the API answers /readyz, like Mailpit's own
subcommand the compose healthcheck runs. Messages stay in memory: MP_DATABASE and MP_ENABLE_CHAOS are
accepted and ignored. The sink binds harness.ports.LOCALHOST; in a container the published ports arrive on
the container's interface, so that constant is set to 0.0.0.0 before the sink is imported.
"""

import asyncio
import sys
import urllib.request

SMTP_PORT = 1025
HTTP_PORT = 8025


def readyz() -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}/readyz", timeout=4) as reply:
            return 0 if reply.status == 200 else 1
    except OSError as exc:
        print(f"readyz: {exc}", file=sys.stderr)
        return 1


def serve() -> int:
    import harness.ports

    harness.ports.LOCALHOST = "0.0.0.0"  # noqa: S104 - inside the container; published on 127.0.0.1 only
    from harness.services.mail import sink

    asyncio.run(sink.serve(SMTP_PORT, HTTP_PORT))
    return 0


if __name__ == "__main__":
    sys.exit(readyz() if sys.argv[1:] == ["readyz"] else serve())
