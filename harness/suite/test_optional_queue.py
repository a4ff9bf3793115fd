"""Optional service queue/worker (with_queue): every email waits in SQS until the deployed worker sends it.

The backend never talks SMTP: with the worker paused (SIGSTOP), a sign-up's email stays in the queue and arrives
only once the worker runs again. SMTP refusal is real: the mail service's chaos triggers (Mailpit's
/api/v1/chaos) make it answer 451 to every recipient. Sign-up and the verification request still succeed; the
worker retries; the email arrives exactly once after SMTP recovers; past the queue's retry budget it lands in the
dead-letter queue and the worker's ``email_delivery_failures_total{kind="dead_letter"}`` rises. Audit events fan
out through the audit queue to the worker's log. (Billing sync does not go through the template's queue: queue.py
carries email and audit only.) The chaos and pause checks hold a lock in the stack's run directory so that two of
them never overlap, and keep SMTP refusing (or the worker paused) no longer than they must: other checks' mail
meanwhile only waits.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from harness import stack
from harness.client import Account, AuthClient, unique_email
from harness.deploy import aws_resources
from harness.deploy.context import Context
from harness.process import ProcessRecord
from harness.providers.pause import process_paused
from harness.services.mail.client import MailpitClient, search_query
from harness.suite.flows import ClientFactory, metric_total, scrape_metrics, wait_until
from harness.suite.optional_services import process_log, require_option

FAILURES = "email_delivery_failures_total"
RETRY_WINDOW = aws_resources.EMAIL_RETRY_BUDGET * aws_resources.VISIBILITY_SECONDS
CHAOS_LOCK_TIMEOUT = 300.0
BACKEND_SEND_SECONDS = 3.0  # a backend sending SMTP itself delivers before its answer; this is ample margin


@pytest.fixture(autouse=True)
def with_queue(running: stack.Running) -> None:
    require_option(running, "with_queue")


@pytest.fixture
def smtp_chaos(running: stack.Running, mail: MailpitClient) -> Iterator[MailpitClient]:
    """The mailbox, with this check the only one steering SMTP refusals or pausing the worker while it runs."""
    with FileLock(str(Path(running.handle.run_dir) / "mail-chaos.lock"), timeout=CHAOS_LOCK_TIMEOUT):
        yield mail


@pytest.fixture
def worker_failures(running: stack.Running) -> Callable[[str], float]:
    """``email_delivery_failures_total{kind=...}`` at the worker's /metrics."""
    url = running.deployment.worker_metrics_url
    if not url:
        pytest.skip("the project was rendered with observability=none: the worker exposes no metrics")

    def failures(kind: str) -> float:
        samples = scrape_metrics(url)
        assert samples is not None, f"the worker's metrics at {url} answered 404"
        return metric_total(samples, FAILURES, kind=kind)

    return failures


def signed_up(new_client: ClientFactory, label: str) -> tuple[AuthClient, Account]:
    client, account = new_client(), Account(unique_email(label))
    response = client.sign_up(account)
    assert response.status_code == 200, f"sign-up answered {response.status_code}: {response.text[:200]}"
    return client, account


def request_verification(client: AuthClient, email: str) -> None:
    """Ask for the verification email: the request must succeed whatever SMTP answers."""
    asked = client.post("/send-verification-email", {"email": email, "callbackURL": "/"})
    assert asked.status_code == 200, f"the verification request answered {asked.status_code} while SMTP refused"


def mails_to(mail: MailpitClient, email: str) -> int:
    return len(mail.search(search_query(to=email)))


def test_refused_email_is_retried_by_the_worker_and_delivered_exactly_once(
    smtp_chaos: MailpitClient, new_client: ClientFactory, worker_failures: Callable[[str], float]
) -> None:
    retries = worker_failures("retry")
    with smtp_chaos.refusing(stage="Recipient", code=451):
        client, account = signed_up(new_client, "queued")  # sign-up succeeds while SMTP refuses mail
        email = account.email
        request_verification(client, email)
        wait_until(lambda: worker_failures("retry") > retries, RETRY_WINDOW + 10, "no failed retry by the worker")
        assert mails_to(smtp_chaos, email) == 0, "mail was delivered while SMTP refused it"
    message = smtp_chaos.wait_for(to=email, subject="verify", timeout=RETRY_WINDOW + 10)
    assert "verify-email" in message.text
    time.sleep(2 * aws_resources.VISIBILITY_SECONDS + 1)  # a second delivery would have happened by now
    assert mails_to(smtp_chaos, email) == 1, f"the queued email was delivered {mails_to(smtp_chaos, email)} times"


def test_no_email_leaves_before_the_worker_sends_it(
    smtp_chaos: MailpitClient, running: stack.Running, new_client: ClientFactory
) -> None:
    """The backend enqueues and never mails: with the worker paused, the requested email does not arrive."""
    worker = ProcessRecord.from_dict((running.deployment.processes or {})["worker"])
    with process_paused(worker):
        client, account = signed_up(new_client, "paused-worker")
        request_verification(client, account.email)
        time.sleep(BACKEND_SEND_SECONDS)
        assert mails_to(smtp_chaos, account.email) == 0, "mail arrived while the worker was paused: the backend sent it"
    message = smtp_chaos.wait_for(to=account.email, subject="verify", timeout=RETRY_WINDOW + 10)
    assert "verify-email" in message.text


def test_email_past_the_retry_budget_lands_in_the_dead_letter_queue_and_is_counted(
    smtp_chaos: MailpitClient, new_client: ClientFactory, worker_failures: Callable[[str], float], ctx: Context
) -> None:
    client, account = signed_up(new_client, "dead-letter")
    email = account.email
    dead = worker_failures("dead_letter")
    with smtp_chaos.refusing(stage="Recipient", code=451):  # as briefly as the budget allows
        request_verification(client, email)
        wait_until(lambda: worker_failures("dead_letter") > dead, RETRY_WINDOW + 15, "the worker never gave up")
    dead_letters = DeadLetters(ctx)
    wait_until(lambda: dead_letters.take(email), 2 * RETRY_WINDOW, f"the email to {email} is not dead-lettered")
    dead_letters.redrive()
    time.sleep(aws_resources.VISIBILITY_SECONDS)
    assert mails_to(smtp_chaos, email) == 0, "a dead-lettered email was delivered anyway"


class DeadLetters:
    """The email dead-letter queue, handled as the runbook says once SMTP works again: inspect, then redrive."""

    def __init__(self, ctx: Context) -> None:
        self.sqs = aws_resources.client(ctx, "sqs")
        self.url = ctx.deployment.email_dead_letter_queue_url
        self.source = (ctx.deployment.optional_env or {})["EMAIL_QUEUE_URL"]
        self.others: dict[str, dict[str, str]] = {}  # MessageId -> message

    def take(self, email: str) -> bool:
        """Remove the dead letter to ``email`` (this check's own); others wait for ``redrive``."""
        found = False
        for message in self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            if json.loads(message["Body"]).get("to") == email:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
                found = True
            else:
                self.others[message["MessageId"]] = message
        return found

    def redrive(self) -> None:
        """Send other checks' mail, refused during this check's window, back to the retry queue."""
        for message in self.others.values():
            self.sqs.send_message(QueueUrl=self.source, MessageBody=message["Body"])
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


def test_audit_events_fan_out_through_the_queue_to_the_worker(
    running: stack.Running, new_client: ClientFactory
) -> None:
    _client, account = signed_up(new_client, "fanout")  # user.created, audited and fanned out

    def fanned_out() -> bool:
        for line in process_log(running, "worker").splitlines():
            _, marker, payload = line.partition(".audit_fanout ")
            if marker and json.loads(payload).get("subject_id") == account.user_id:
                return True
        return False

    wait_until(fanned_out, 20, f"the worker logged no audit event about user {account.user_id}")
