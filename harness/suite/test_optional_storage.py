"""Optional service object storage (with_object_storage): the audit export lands in the stack's S3.

The project's own operator command exports one period; the check reads the object back and proves it holds
exactly that period's audit events (compared with the audit table itself), no secret value of the backend, and
that exporting the same period again leaves one object with the same events, not a second copy.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from harness import stack
from harness.app import run_manage
from harness.client import Account
from harness.deploy import aws_resources
from harness.deploy.context import Context
from harness.suite.optional_services import require_option

EXPORTED = re.compile(r"s3://(?P<bucket>[^/\s]+)/(?P<key>\S+)")
SETTLE_SECONDS = 1.0  # lets requests still in flight at the period's end commit before it is read


@pytest.fixture(autouse=True)
def with_object_storage(running: stack.Running) -> None:
    require_option(running, "with_object_storage")


def now_ms() -> int:
    return int(time.time() * 1000)


def export(ctx: Context, since_ms: int, until_ms: int) -> tuple[str, str, bytes]:
    """Run ``manage export-audit`` for the period; the (bucket, key) it names and the object's bytes from S3."""
    output = run_manage(ctx, "export-audit", "--since-ms", str(since_ms), "--until-ms", str(until_ms))
    named = EXPORTED.search(output)
    assert named, f"export-audit named no s3:// object: {output!r}"
    body = aws_resources.client(ctx, "s3").get_object(Bucket=named["bucket"], Key=named["key"])["Body"].read()
    return named["bucket"], named["key"], body


def audit_ids_in(ctx: Context, since_ms: int, until_ms: int) -> set[str]:
    """The audit table's event ids in [since, until), read with the backend's own database role."""
    url = ctx.vault.read()["database_url"].replace("postgresql+asyncpg://", "postgresql://", 1)
    with psycopg.connect(url, connect_timeout=10) as conn:
        rows = conn.execute(
            "SELECT id FROM audit_event WHERE created_at >= %s AND created_at < %s", (since_ms, until_ms)
        ).fetchall()
    return {str(row[0]) for row in rows}


def leaked_secrets(text: str, secrets: dict[str, str]) -> list[str]:
    """Names of the known secret values that appear in ``text``."""
    return sorted(name for name, value in secrets.items() if value and len(value) >= 8 and value in text)


def test_audit_export_holds_exactly_the_periods_events_once_and_no_secret(
    ctx: Context, verified_account: Callable[..., Account], backend_secrets: dict[str, str]
) -> None:
    since = now_ms()
    account = verified_account("exported")
    until = now_ms() + 1
    time.sleep(SETTLE_SECONDS)
    verified_account("after-period")  # events after the period: the export must leave them out

    bucket, key, body = export(ctx, since, until)
    events: list[dict[str, Any]] = [json.loads(line) for line in body.decode().splitlines()]
    exported = [str(e["id"]) for e in events]
    expected = audit_ids_in(ctx, since, until)
    assert len(exported) == len(set(exported)), "the export holds an audit event twice"
    assert set(exported) == expected, (
        f"export vs audit table for the period: {len(set(exported) - expected)} extra, "
        f"{len(expected - set(exported))} missing"
    )
    assert all(since <= e["created_at"] < until for e in events), "the export holds events outside its period"
    assert any(e["event"] == "user.created" and e["subject_id"] == account.user_id for e in events), (
        "the period's sign-up is not in the export"
    )

    assert leaked_secrets(body.decode(), backend_secrets) == [], "the export holds a backend secret value"
    planted = body.decode() + backend_secrets["ops_token"]
    assert leaked_secrets(planted, backend_secrets) == ["ops_token"]  # negative control: the scan finds one

    again = export(ctx, since, until)
    assert again == (bucket, key, body), "exporting the same period again gave another object or other events"
    holding = objects_holding(ctx, bucket, exported[0])
    assert holding == [key], f"the period's events are stored in {len(holding)} objects: {holding}"


def objects_holding(ctx: Context, bucket: str, event_id: str) -> list[str]:
    """Keys of every object in the bucket whose content holds the audit event ``event_id``."""
    s3 = aws_resources.client(ctx, "s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return [k for k in keys if event_id.encode() in s3.get_object(Bucket=bucket, Key=k)["Body"].read()]
