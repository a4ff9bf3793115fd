"""Mailpit's chaos API on the mail service: triggers set over HTTP make real SMTP refuse mail, and reset."""

from __future__ import annotations

import asyncio
import json
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from harness.services.mail.chaos import Chaos, Trigger
from harness.services.mail.sink import build_app
from harness.services.mail.store import MailStore

SPEC = Path(__file__).with_name("mailpit-api-v1.swagger.json")
DEFAULTS = {
    "Sender": {"ErrorCode": 451, "Probability": 0},
    "Recipient": {"ErrorCode": 451, "Probability": 0},
    "Authentication": {"ErrorCode": 535, "Probability": 0},
}


def _send(endpoints: dict[str, Any], *, login: bool = False) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "app@example.com", "alice@example.com", "Hello"
    message.set_content("hello")
    with smtplib.SMTP(endpoints["smtp_host"], endpoints["smtp_port"], timeout=10) as smtp:
        if login:
            smtp.login("any-user", "any-password")
        smtp.send_message(message)


def _validate_triggers(document: Any) -> None:
    definitions = json.loads(SPEC.read_text())["definitions"]
    schema = {"$ref": "#/definitions/ChaosTriggers", "definitions": definitions}
    jsonschema.validate(document, schema)
    assert set(document) == set(DEFAULTS)


def test_each_trigger_makes_smtp_answer_its_error_code_until_reset(mailbox) -> None:
    endpoints, client = mailbox
    assert client.chaos() == DEFAULTS
    _validate_triggers(client.chaos())

    with client.refusing(stage="Recipient", code=451):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            _send(endpoints)
        assert refused.value.recipients["alice@example.com"] == (451, b"Chaos recipient error")
    with client.refusing(stage="Sender", code=550):
        with pytest.raises(smtplib.SMTPSenderRefused) as sender:
            _send(endpoints)
        assert sender.value.smtp_code == 550
    with client.refusing(stage="Authentication", code=535):
        with pytest.raises(smtplib.SMTPAuthenticationError) as auth:
            _send(endpoints, login=True)
        assert auth.value.smtp_code == 535
        _send(endpoints)  # without AUTH the authentication trigger has nothing to refuse
    assert client.messages()[0]["Subject"] == "Hello" and len(client.messages()) == 1

    assert client.chaos() == DEFAULTS  # the block reset every trigger
    _send(endpoints, login=True)
    assert len(client.messages()) == 2


def test_put_replaces_all_triggers_and_refuses_invalid_values(mailbox) -> None:
    endpoints, client = mailbox
    applied = client.set_chaos({"Sender": {"ErrorCode": 421, "Probability": 0}, "Recipient": {"Probability": 100}})
    assert applied["Sender"] == {"ErrorCode": 421, "Probability": 0}
    assert applied["Recipient"] == {"ErrorCode": 451, "Probability": 100}  # ErrorCode 0/absent: the default
    _validate_triggers(applied)
    assert client.set_chaos({"Sender": {"ErrorCode": 421, "Probability": 0}})["Recipient"]["Probability"] == 0

    for body in (
        {"Sender": {"ErrorCode": 250, "Probability": 100}},
        {"Recipient": {"ErrorCode": 451, "Probability": 101}},
        {"Nobody": {"ErrorCode": 451, "Probability": 100}},
    ):
        response = client.http.put("/api/v1/chaos", json=body)
        assert response.status_code == 400 and response.text
    assert client.chaos()["Sender"] == {"ErrorCode": 421, "Probability": 0}  # refused bodies changed nothing
    _send(endpoints)
    assert len(client.messages()) == 1


def test_refusing_resets_even_when_the_block_fails(mailbox) -> None:
    _endpoints, client = mailbox
    with pytest.raises(RuntimeError), client.refusing(stage="Sender", code=452):
        assert client.chaos()["Sender"] == {"ErrorCode": 452, "Probability": 100}
        raise RuntimeError("drill failed")
    assert client.chaos() == DEFAULTS


def test_chaos_api_refused_unless_enabled() -> None:
    """Like Mailpit without --enable-chaos: the API answers 400 and SMTP is never refused."""
    chaos = Chaos(enabled=False)

    async def statuses() -> list[int]:
        transport = httpx.ASGITransport(app=build_app(MailStore(), chaos))
        async with httpx.AsyncClient(transport=transport, base_url="http://sink") as http:
            body = {"Sender": {"ErrorCode": 451, "Probability": 100}}
            return [
                (await http.get("/api/v1/chaos")).status_code,
                (await http.put("/api/v1/chaos", json=body)).status_code,
            ]

    assert asyncio.run(statuses()) == [400, 400]
    chaos.triggers["Sender"] = Trigger(451, 100)
    assert chaos.refusal("Sender") is None
    chaos.enabled = True  # negative control: the same trigger fires once chaos is on
    assert chaos.refusal("Sender") == "451 Chaos sender error"
