"""The mail service (Mailpit, or the harness's sink): real SMTP in, Mailpit's /api/v1 shapes out."""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from harness.services.mail.client import search_query

# Mailpit v1.30.5's swagger document (MIT), copied unchanged from the Mailpit repository.
SPEC = Path(__file__).with_name("mailpit-api-v1.swagger.json")


def _require_all(node: Any) -> Any:
    """The spec marks nothing required; the harness relies on every documented field, so require them."""
    if isinstance(node, dict):
        node = {k: _require_all(v) for k, v in node.items()}
        if "properties" in node:
            node["required"] = sorted(node["properties"])
    elif isinstance(node, list):
        node = [_require_all(v) for v in node]
    return node


@pytest.fixture(scope="module")
def definitions() -> dict[str, Any]:
    return _require_all(json.loads(SPEC.read_text())["definitions"])


def _validate(document: Any, definition: str, definitions: dict[str, Any]) -> None:
    schema = {"$ref": f"#/definitions/{definition}", "definitions": definitions}
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())


def _verification_email() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Demo Auth <no-reply@example.com>"
    message["To"] = "Alice Example <alice@example.com>"
    message["Cc"] = "carol@example.com"
    message["Subject"] = "Verify your email address"
    message.set_content("Open http://127.0.0.1:8000/api/auth/verify-email?token=abc to verify.")
    message.add_alternative(
        "<p><a href='http://127.0.0.1:8000/api/auth/verify-email?token=abc'>Verify</a></p>", subtype="html"
    )
    message.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="terms.pdf")
    return message


def test_smtp_with_any_login_then_read_back_in_mailpit_shapes(mailbox, definitions) -> None:
    endpoints, client = mailbox
    with smtplib.SMTP(endpoints["smtp_host"], endpoints["smtp_port"], timeout=10) as smtp:
        smtp.login("any-user", "any-password")  # accepted without TLS, like Mailpit's accept-any
        smtp.send_message(
            _verification_email(), to_addrs=["alice@example.com", "carol@example.com", "hidden@example.com"]
        )

    message = client.wait_for(to="alice@example.com", subject="verify your email", timeout=10)
    assert "verify-email?token=abc" in message.text and "<a href=" in message.html
    assert message.sender == "no-reply@example.com" and message.to == ("alice@example.com",)

    api = httpx.Client(base_url=endpoints["mailpit_api_url"], timeout=10)
    listing = api.get("/api/v1/messages").json()
    _validate(listing, "MessagesSummary", definitions)
    assert listing["messages_count"] == 1 and listing["total"] == 1
    summary = listing["messages"][0]
    assert summary["Attachments"] == 1 and summary["Username"] == "any-user"
    assert summary["Snippet"].startswith("Open http://127.0.0.1:8000/api/auth/verify-email")

    detail = api.get(f"/api/v1/message/{summary['ID']}").json()
    _validate(detail, "Message", definitions)
    assert [a["Address"] for a in detail["Bcc"]] == ["hidden@example.com"]
    assert detail["Attachments"][0]["FileName"] == "terms.pdf"
    assert api.get("/api/v1/messages").json()["unread"] == 0  # reading marks it read, as Mailpit does

    _validate(api.get("/api/v1/info").json(), "AppInformation", definitions)
    assert client.headers(summary["ID"])["Subject"] == ["Verify your email address"]
    assert b"terms.pdf" in api.get(f"/api/v1/message/{summary['ID']}/raw").content
    assert api.get("/livez").status_code == 200 and api.get("/readyz").status_code == 200


def test_search_filters_and_delete(mailbox) -> None:
    endpoints, client = mailbox
    with smtplib.SMTP(endpoints["smtp_host"], endpoints["smtp_port"], timeout=10) as smtp:  # no AUTH at all
        for to, subject in [("a@example.com", "Reset your password"), ("b@example.com", "Your sign in code")]:
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = "app@example.com", to, subject
            message.set_content(f"hello {to}")
            smtp.send_message(message)

    assert client.wait_for(to="b@example.com", timeout=10).subject == "Your sign in code"
    assert [m["Subject"] for m in client.search(search_query(subject="reset your"))] == ["Reset your password"]
    assert [m["Subject"] for m in client.search("to:a@example.com")] == ["Reset your password"]
    assert [m["Subject"] for m in client.search("-subject:reset")] == ["Your sign in code"]
    assert client.search('subject:"no such mail"') == []
    assert [m["Subject"] for m in client.messages()] == ["Your sign in code", "Reset your password"]
    with pytest.raises(AssertionError, match="no email matching"):
        client.wait_for(to="nobody@example.com", timeout=0.5)
    client.delete_all()
    assert client.messages() == []
