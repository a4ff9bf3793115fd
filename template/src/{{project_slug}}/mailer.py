"""Outgoing email over SMTP (stdlib smtplib in a worker thread, STARTTLS and auth when configured).

Every email goes to exactly one plain address, given to the SMTP server as the only envelope recipient:
smtplib would otherwise derive recipients from the ``To:`` header, so ``a@x, b@y`` would mail both.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol

from pydantic import SecretStr

if TYPE_CHECKING:
    from .secret_store import Secrets
    from .settings import Settings

# One addr-spec without display name, list separators, quotes, brackets or whitespace (CR/LF included).
SINGLE_ADDRESS = re.compile(r"[^\s@,;:<>()\[\]\"\\]+@[^\s@,;:<>()\[\]\"\\]+")


def single_recipient(address: str) -> str:
    """The address when it is one plain mailbox; ``ValueError`` for lists, names or header injection."""
    if not SINGLE_ADDRESS.fullmatch(address):
        raise ValueError("an email is sent to exactly one plain address")
    return address


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    async def send(self, email: Email) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str | None = None
    password: SecretStr | None = None
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings, secrets: Secrets) -> SmtpMailer:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            username=secrets.smtp_username,
            password=secrets.smtp_password,
        )

    async def send(self, email: Email) -> None:
        await asyncio.to_thread(self._send_sync, email)

    def _send_sync(self, email: Email) -> None:
        recipient = single_recipient(email.to)
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = recipient
        message["Subject"] = email.subject
        # 7bit keeps links verbatim in the raw message (quoted-printable would split and escape them).
        message.set_content(email.body, cte="7bit" if email.body.isascii() else "quoted-printable")
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
            if self.starttls:
                client.starttls()
            if self.username and self.password:
                client.login(self.username, self.password.get_secret_value())
            client.send_message(message, to_addrs=[recipient])
