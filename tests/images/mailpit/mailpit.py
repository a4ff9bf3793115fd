"""The mailpit stand-in image's server (started by ``/mailpit``): the harness's mail sink, not Mailpit.

It serves SMTP on 1025 and the Mailpit API subset on 8025 (any SMTP login accepted, as with
MP_SMTP_AUTH_ACCEPT_ANY). Messages stay in memory: MP_DATABASE is accepted and ignored; MP_ENABLE_CHAOS=true
turns on Mailpit's chaos API (/api/v1/chaos), as in Mailpit.
The sink binds harness.ports.LOCALHOST; in a container the published ports arrive on the container's
interface, so that constant is set to 0.0.0.0 before the sink is imported.
"""

import asyncio
import os

SMTP_PORT = 1025
HTTP_PORT = 8025


def serve() -> None:
    import harness.ports

    harness.ports.LOCALHOST = "0.0.0.0"  # inside the container; published on 127.0.0.1 only
    from harness.services.mail import sink

    asyncio.run(sink.serve(SMTP_PORT, HTTP_PORT, os.environ.get("MP_ENABLE_CHAOS", "").lower() == "true"))


if __name__ == "__main__":
    serve()
