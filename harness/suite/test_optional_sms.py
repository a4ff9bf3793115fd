"""Optional service SMS (with_sms): phone-number sign-up and sign-in with the one-time code the stack's SNS sent.

The code is read where an operator would look it up, in the SMS provider's record (LocalStack's or moto's), never
from the backend. Wrong and replayed codes are refused, guessing one number's code meets the limit the backend
declares for code checks, and no code reaches the backend's or the worker's log (nor this check's messages).
"""

from __future__ import annotations

import re
import secrets
import time

import pytest

from harness import authz, stack
from harness.client import AuthClient
from harness.services import aws
from harness.suite.flows import ClientFactory
from harness.suite.optional_services import aws_implementation, process_log, require_option

CODE = re.compile(r"\b(\d{4,10})\b")
SMS_TIMEOUT = 15.0


@pytest.fixture(autouse=True)
def with_sms(running: stack.Running) -> None:
    require_option(running, "with_sms")


def new_phone() -> str:
    """An E.164 number in the 555-01xx fiction range, unique to this check."""
    return f"+1555010{secrets.randbelow(10**5):05d}"


class SmsLog:
    """The stack's SNS record of sent SMS, as the provider's console shows it to an operator."""

    def __init__(self, running: stack.Running) -> None:
        self.url = running.handle.endpoints.aws_endpoint_url
        self.implementation = aws_implementation(running)

    def messages_to(self, phone: str) -> list[str]:
        return [message for to, message in aws.sent_sms(self.url, self.implementation) if to == phone]

    def next_code(self, phone: str, seen: int) -> str:
        """The code in the SMS to ``phone`` after the first ``seen`` ones, waiting for it to be sent."""
        deadline = time.monotonic() + SMS_TIMEOUT
        while len(messages := self.messages_to(phone)) <= seen:
            assert time.monotonic() < deadline, f"no SMS #{seen + 1} to {phone} within {SMS_TIMEOUT:.0f} s"
            time.sleep(0.3)
        match = CODE.search(messages[seen])
        assert match, f"SMS #{seen + 1} to {phone} carries no numeric code"
        return match.group(1)


@pytest.fixture
def sms_log(running: stack.Running) -> SmsLog:
    return SmsLog(running)


def verify(client: AuthClient, phone: str, code: str) -> tuple[int, dict[str, object]]:
    response = client.post("/phone-number/verify", {"phoneNumber": phone, "code": code})
    return response.status_code, (response.json() if response.content else {})


def wrong(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def test_phone_sign_up_and_sign_in_with_the_code_from_sns(
    new_client: ClientFactory, sms_log: SmsLog, running: stack.Running
) -> None:
    phone = new_phone()
    signing_up = new_client()
    sent = signing_up.post("/phone-number/send-otp", {"phoneNumber": phone})
    assert sent.status_code == 200, f"send-otp answered {sent.status_code}: {sent.text[:200]}"
    first = sms_log.next_code(phone, 0)

    status, _ = verify(signing_up, phone, wrong(first))
    assert status == 400 and signing_up.session_cookie is None, f"a wrong code answered {status}"
    status, body = verify(signing_up, phone, first)
    assert status == 200 and body.get("isNewUser") is True, f"the SMS code did not sign the number up: {status}"
    user = (signing_up.get_session() or {}).get("user") or {}
    assert user.get("phoneNumber") == phone and user.get("phoneNumberVerified") is True, "no session for the number"

    signing_in = new_client()
    assert signing_in.post("/phone-number/send-otp", {"phoneNumber": phone}).status_code == 200
    second = sms_log.next_code(phone, 1)
    assert verify(signing_in, phone, first)[0] == 400, "the used sign-up code was accepted again"
    status, body = verify(signing_in, phone, second)
    assert status == 200 and body.get("isNewUser") is False, f"sign-in with the SMS code answered {status}"
    assert ((signing_in.get_session() or {}).get("user") or {}).get("id") == user.get("id"), "another user"

    # The codes are found where they should be (the provider's record), so not finding them in logs means something.
    record = "\n".join(sms_log.messages_to(phone))
    assert first in record and second in record
    logs = {
        name: process_log(running, name)
        for name in ("backend", "worker")
        if name in (running.deployment.processes or {})
    }
    leaked = [name for name, text in logs.items() if first in text or second in text]
    assert not leaked, f"a one-time SMS code appears in the log of {leaked}"


def test_guessing_one_numbers_code_meets_the_declared_limit(
    new_client: ClientFactory, sms_log: SmsLog, backend_url: str, backend_secrets: dict[str, str]
) -> None:
    routes = authz.served_routes(backend_url, backend_secrets["ops_token"])
    verify_route = [r for r in routes if r.method == "POST" and r.path.endswith("/phone-number/verify")]
    declared = verify_route[0].limit if verify_route else None
    assert declared and declared.get("per_target"), "the backend declares no per-number limit on code checks"
    allowed = int(declared["per_target"][0])  # type: ignore[index]

    phone = new_phone()
    assert new_client().post("/phone-number/send-otp", {"phoneNumber": phone}).status_code == 200
    code = sms_log.next_code(phone, 0)
    statuses = [verify(new_client(), phone, wrong(code))[0] for _ in range(allowed)]
    assert 429 not in statuses and 200 not in statuses, f"{allowed} wrong codes answered {statuses}"
    status, _ = verify(new_client(), phone, code)  # from yet another address, and now even the right code
    assert status == 429, f"guess {allowed + 1} for one number (from a fresh address) answered {status}, not 429"
