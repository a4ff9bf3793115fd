"""In-memory mailbox with Mailpit's JSON shapes (spec: Mailpit v1.30 /api/v1 swagger, MIT).

Only what the harness reads is modelled: message summaries and details, headers, raw source, Mailpit's
search filters ``to:``, ``from:``, ``cc:``, ``bcc:``, ``subject:``, ``message-id:``, ``is:read|unread``,
free words, quoting and ``-`` negation (case-insensitive substring matches, as Mailpit does).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import shlex
import string
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

_ALPHABET = string.ascii_letters + string.digits
SNIPPET_CHARS = 250


def _new_id() -> str:
    """Mailpit-style 22-character base62 database ID."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(22))


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _addresses(values: list[str]) -> list[dict[str, str]]:
    return [{"Name": name, "Address": addr} for name, addr in getaddresses(values) if addr]


@dataclass
class StoredMessage:
    """One received message: raw bytes, the SMTP envelope and the parsed MIME tree."""

    raw: bytes
    mail_from: str
    rcpt_to: list[str]
    username: str
    id: str = field(default_factory=_new_id)
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    read: bool = False

    def __post_init__(self) -> None:
        self.parsed: EmailMessage = message_from_bytes(self.raw, policy=policy.default)  # type: ignore[assignment]

    def _header_list(self, name: str) -> list[str]:
        return [str(v) for v in self.parsed.get_all(name, [])]

    def _bcc(self) -> list[dict[str, str]]:
        """Envelope recipients that appear in no To/Cc header, as Mailpit reports them."""
        listed = {a["Address"].lower() for a in self.to + self.cc}
        explicit = _addresses(self._header_list("Bcc"))
        hidden = [{"Name": "", "Address": r} for r in self.rcpt_to if r.lower() not in listed]
        seen = {a["Address"].lower() for a in explicit}
        return explicit + [a for a in hidden if a["Address"].lower() not in seen]

    @property
    def to(self) -> list[dict[str, str]]:
        return _addresses(self._header_list("To"))

    @property
    def cc(self) -> list[dict[str, str]]:
        return _addresses(self._header_list("Cc"))

    @property
    def sender(self) -> dict[str, str]:
        found = _addresses(self._header_list("From"))
        return found[0] if found else {"Name": "", "Address": self.mail_from}

    @property
    def subject(self) -> str:
        return str(self.parsed.get("Subject", ""))

    @property
    def message_id(self) -> str:
        return str(self.parsed.get("Message-ID", "")).strip().strip("<>")

    def _body(self, subtype: str) -> str:
        part = self.parsed.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""  # type: ignore[union-attr]

    @property
    def text(self) -> str:
        return self._body("plain")

    @property
    def html(self) -> str:
        return self._body("html")

    def _files(self, inline: bool) -> list[dict[str, Any]]:
        files = []
        for number, part in enumerate(self.parsed.walk(), start=1):
            disposition = part.get_content_disposition()
            is_inline = disposition == "inline" and part.get("Content-ID") is not None
            if (disposition == "attachment" and not inline) or (is_inline and inline):
                payload = part.get_payload(decode=True) or b""
                files.append(
                    {
                        "PartID": str(number),
                        "FileName": part.get_filename() or "",
                        "ContentType": part.get_content_type(),
                        "ContentID": str(part.get("Content-ID", "")).strip("<>"),
                        "Size": len(payload),
                        "Checksums": {
                            "MD5": hashlib.md5(payload).hexdigest(),
                            "SHA1": hashlib.sha1(payload).hexdigest(),
                            "SHA256": hashlib.sha256(payload).hexdigest(),
                        },
                    }
                )
        return files

    def _date(self) -> datetime:
        try:
            return parsedate_to_datetime(str(self.parsed["Date"]))
        except (TypeError, ValueError):
            return self.created

    def summary(self) -> dict[str, Any]:
        """Mailpit's MessageSummary."""
        source = self.text or re.sub(r"<[^>]+>", " ", self.html)
        return {
            "ID": self.id,
            "MessageID": self.message_id,
            "Read": self.read,
            "From": self.sender,
            "To": self.to,
            "Cc": self.cc,
            "Bcc": self._bcc(),
            "ReplyTo": _addresses(self._header_list("Reply-To")),
            "Subject": self.subject,
            "Created": _rfc3339(self.created),
            "Username": self.username,
            "Tags": [],
            "Size": len(self.raw),
            "Attachments": len(self._files(inline=False)),
            "Snippet": " ".join(source.split())[:SNIPPET_CHARS],
        }

    def detail(self) -> dict[str, Any]:
        """Mailpit's Message (GET /api/v1/message/{ID})."""
        unsubscribe = str(self.parsed.get("List-Unsubscribe", ""))
        return {
            "ID": self.id,
            "MessageID": self.message_id,
            "From": self.sender,
            "To": self.to,
            "Cc": self.cc,
            "Bcc": self._bcc(),
            "ReplyTo": _addresses(self._header_list("Reply-To")),
            "ReturnPath": self.mail_from,
            "Subject": self.subject,
            "ListUnsubscribe": {
                "Header": unsubscribe,
                "HeaderPost": str(self.parsed.get("List-Unsubscribe-Post", "")),
                "Links": re.findall(r"<([^>]+)>", unsubscribe),
                "Errors": "",
            },
            "Date": _rfc3339(self._date()),
            "Tags": [],
            "Username": self.username,
            "Text": self.text,
            "HTML": self.html,
            "Size": len(self.raw),
            "Inline": self._files(inline=True),
            "Attachments": self._files(inline=False),
        }

    def headers(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, value in self.parsed.items():
            out.setdefault(key, []).append(str(value))
        return dict(sorted(out.items()))

    def matches(self, term: str) -> bool:
        """One Mailpit search term (without negation)."""
        key, sep, value = term.partition(":")
        if not sep or key.lower() not in _FIELDS:
            value, key = term, ""
        value = value.lower()
        if key.lower() == "is":
            return self.read if value == "read" else not self.read if value == "unread" else False
        haystacks = _FIELDS.get(key.lower(), _free_text)(self)
        return any(value in h.lower() for h in haystacks)


def _addr_texts(addresses: list[dict[str, str]]) -> list[str]:
    return [f"{a['Name']} <{a['Address']}>" for a in addresses]


def _free_text(m: StoredMessage) -> list[str]:
    return [m.subject, m.text, m.html, *_addr_texts([m.sender, *m.to, *m.cc])]


_FIELDS = {
    "to": lambda m: _addr_texts(m.to + m.cc + m._bcc()),
    "from": lambda m: _addr_texts([m.sender]),
    "cc": lambda m: _addr_texts(m.cc),
    "bcc": lambda m: _addr_texts(m._bcc()),
    "subject": lambda m: [m.subject],
    "message-id": lambda m: [m.message_id],
    "is": lambda m: [],
}


class SearchSyntaxError(ValueError):
    """The query cannot be parsed (e.g. an unbalanced quote)."""


def parse_query(query: str) -> list[tuple[bool, str]]:
    """[(negated, term)] from a Mailpit search string (``to:a@b subject:"Reset password" -is:read``)."""
    try:
        tokens = shlex.split(query)
    except ValueError as exc:
        raise SearchSyntaxError(str(exc)) from exc
    return [(token[0] in "-!", token[1:] if token[0] in "-!" else token) for token in tokens if token]


@dataclass
class MailStore:
    """All messages received by this sink, newest last, plus Mailpit's runtime counters."""

    messages: list[StoredMessage] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    accepted: int = 0
    accepted_size: int = 0
    deleted: int = 0

    def add(self, raw: bytes, mail_from: str, rcpt_to: list[str], username: str = "") -> StoredMessage:
        message = StoredMessage(raw=raw, mail_from=mail_from, rcpt_to=list(rcpt_to), username=username)
        self.messages.append(message)
        self.accepted += 1
        self.accepted_size += len(raw)
        return message

    def get(self, message_id: str) -> StoredMessage | None:
        if message_id == "latest":
            return self.messages[-1] if self.messages else None
        return next((m for m in self.messages if m.id == message_id), None)

    def search(self, query: str | None) -> list[StoredMessage]:
        """Messages matching ``query`` (all when None), newest first."""
        terms = parse_query(query) if query else []
        found = [m for m in self.messages if all(m.matches(t) != neg for neg, t in terms)]
        return list(reversed(found))

    def delete(self, ids: list[str] | None = None) -> None:
        keep = [m for m in self.messages if ids is not None and m.id not in ids]
        self.deleted += len(self.messages) - len(keep)
        self.messages = keep

    def listing(self, found: list[StoredMessage], start: int, limit: int) -> dict[str, Any]:
        """Mailpit's MessagesSummary for one page of ``found``."""
        return {
            "total": len(self.messages),
            "unread": sum(not m.read for m in self.messages),
            "messages_count": len(found),
            "messages_unread": sum(not m.read for m in found),
            "start": start,
            "tags": [],
            "messages": [m.summary() for m in found[start : start + limit]],
        }

    def info(self, version: str) -> dict[str, Any]:
        """Mailpit's AppInformation."""
        return {
            "Version": version,
            "LatestVersion": "",
            "Database": "memory",
            "DatabaseSize": 0,
            "Messages": len(self.messages),
            "Unread": sum(not m.read for m in self.messages),
            "Tags": {},
            "RuntimeStats": {
                "Memory": 0,
                "MessagesDeleted": self.deleted,
                "SMTPAccepted": self.accepted,
                "SMTPAcceptedSize": self.accepted_size,
                "SMTPIgnored": 0,
                "SMTPRejected": 0,
                "Uptime": int(time.monotonic() - self.started),
            },
        }
