"""Step 1b (projects with SMS, object storage or a queue): the AWS resources their optional services use.

The queues and the bucket an operator creates with infrastructure code are created here in the stack's AWS
(LocalStack or moto): the email retry queue with its dead-letter queue (redrive after ``EMAIL_RETRY_BUDGET``
receives, ``VISIBILITY_SECONDS`` apart, short so the rehearsal sees the whole budget), the audit fan-out queue,
and the audit export bucket. Their addresses go to the backend and the worker as environment variables
(``Deployment.optional_env``); SNS needs no resource to send SMS.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.deploy.context import Context, StepFailed
from harness.services import aws

OPTIONS = ("with_sms", "with_object_storage", "with_queue")
EMAIL_RETRY_BUDGET = 3
VISIBILITY_SECONDS = 2


def options(ctx: Context) -> list[str]:
    """The optional services the project was rendered with."""
    return [option for option in OPTIONS if ctx.project.answers.get(option)]


def client(ctx: Context, service: str) -> Any:
    """A boto3 client for the stack's AWS (its stand-in credentials are not secrets)."""
    return aws.client(ctx.endpoints.aws_endpoint_url, service)


def queues(ctx: Context, prefix: str) -> dict[str, str]:
    """The email queue (with its dead-letter queue) and the audit queue, named ``<prefix>-...``; their URLs as the
    backend's environment variables (the dead-letter queue's is recorded with the deployment)."""
    sqs = client(ctx, "sqs")
    dead_letter = sqs.create_queue(QueueName=f"{prefix}-email-dead-letter")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dead_letter, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": str(EMAIL_RETRY_BUDGET)})
    attributes = {"VisibilityTimeout": str(VISIBILITY_SECONDS), "RedrivePolicy": redrive}
    email = sqs.create_queue(QueueName=f"{prefix}-email", Attributes=attributes)["QueueUrl"]
    audit = sqs.create_queue(QueueName=f"{prefix}-audit")["QueueUrl"]
    ctx.deployment.email_dead_letter_queue_url = dead_letter
    return {"EMAIL_QUEUE_URL": email, "AUDIT_QUEUE_URL": audit}


def delete_queues(ctx: Context, urls: list[str]) -> None:
    """Delete queues a run created for itself (the signals phase's canary)."""
    sqs = client(ctx, "sqs")
    for url in urls:
        sqs.delete_queue(QueueUrl=url)


def _bucket(ctx: Context) -> dict[str, str]:
    name = f"{ctx.project.slug.replace('_', '-')}-audit-export"
    s3 = client(ctx, "s3")
    if name not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=name)
    return {"AUDIT_EXPORT_BUCKET": name}


def run(ctx: Context) -> str:
    """Create what the rendered options need; record their addresses for the backend's environment."""
    chosen = options(ctx)
    env: dict[str, str] = {}
    try:
        if "with_queue" in chosen:
            env |= queues(ctx, ctx.project.slug.replace("_", "-"))
        if "with_object_storage" in chosen:
            env |= _bucket(ctx)
    except (BotoCoreError, ClientError) as exc:
        raise StepFailed(f"AWS at {ctx.endpoints.aws_endpoint_url} refused provisioning: {exc}") from exc
    ctx.deployment.optional_env = env
    return f"options {', '.join(chosen)}: " + (", ".join(f"{k}={v}" for k, v in sorted(env.items())) or "SNS only")
