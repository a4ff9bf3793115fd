"""The whole native stack up, each service spoken to with its real client, then down: nothing left behind."""

from __future__ import annotations

import smtplib
import socket
import subprocess
import time
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import httpx
import hvac
import psutil
import psycopg
import pytest
import redis

from harness.endpoints import ServiceInfo
from harness.native import NativeProvider
from harness.native.orchestrate import NativeGroup, Registry, start_all
from harness.ports import LOCALHOST, free_port
from harness.process import ProcessRecord, ServiceStartError
from harness.providers.base import ProviderError, StackHandle
from harness.readiness import Custom
from harness.services import Service, aws, versions
from harness.services import redis as redis_service
from harness.services.launch import Launch, RunContext
from harness.services.mail.client import MailpitClient
from harness.watch import process_targets
from tests.helpers import needs

pytestmark = pytest.mark.slow


def _assert_gone(handle: StackHandle) -> None:
    records = [ProcessRecord.from_dict(r) for r in handle.state["processes"]]
    assert records and not any(r.is_alive() for r in records)
    assert not handle.run_dir.exists()
    assert not any(Path(p).exists() for p in handle.state["cleanup"])


def _s3_roundtrip(endpoint: str) -> None:
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    s3.create_bucket(Bucket="harness-audit")
    s3.put_object(Bucket="harness-audit", Key="a.json", Body=b"{}")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="harness-audit")["Contents"]] == ["a.json"]


def test_native_stack_up_talk_down(tmp_path: Path) -> None:
    progress: list[str] = []
    provider = NativeProvider(tmp_path, {"aws": "moto"})
    handle = provider.up(tmp_path / "run", progress=progress.append)
    try:
        handle = StackHandle.from_dict(handle.to_dict())  # down works from the JSON record alone
        e = handle.endpoints
        assert e.provider == "native"
        assert {s.name for s in e.services} == {"postgres", "redis", "vault", "aws", "mail", "stripe", "oidc"}
        assert any(m.startswith("postgres: ready in") for m in progress)

        with psycopg.connect(e.database_url) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
            server_major = conn.info.server_version // 10000
        pg = handle.state["services"]["postgres"]
        assert server_major == int(pg["version"].split(".")[0]) == 18
        pg_dump = subprocess.run([f"{pg['bin_dir']}/pg_dump", "--version"], capture_output=True, text=True)
        assert f"pg_dump (PostgreSQL) {pg['version']}" in pg_dump.stdout
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(e.database_url.replace(f":{urlsplit(e.database_url).password}@", ":wrong@"))

        client = redis.Redis.from_url(e.redis_url)
        assert client.ping()
        with pytest.raises(redis.AuthenticationError):
            redis.Redis.from_url(e.redis_url.replace(f":{urlsplit(e.redis_url).password}@", ":wrong@")).ping()

        vault = hvac.Client(url=e.vault_addr, token=e.vault_token)
        vault.secrets.kv.v2.create_or_update_secret(path="harness/check", secret={"k": "v"})
        assert vault.secrets.kv.v2.read_secret_version(path="harness/check", raise_on_deleted_version=True)["data"][
            "data"
        ] == {"k": "v"}

        _s3_roundtrip(e.aws_endpoint_url)

        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "app@example.com", "ops@example.com", "stack check"
        mail.set_content("hello")
        with smtplib.SMTP(e.smtp_host, e.smtp_port, timeout=10) as smtp:
            smtp.login("app", "secret")
            smtp.send_message(mail)
        assert MailpitClient(e.mailpit_api_url).wait_for(to="ops@example.com", timeout=10).text.strip() == "hello"

        stripe = httpx.post(
            f"{e.stripe_api_base}/v1/customers",
            data={"email": "c@example.com"},
            headers={"Authorization": "Bearer sk_test_x"},
        )
        assert stripe.status_code == 200 and stripe.json()["email"] == "c@example.com"
        discovery = httpx.get(f"{e.oidc_issuer}/.well-known/openid-configuration").json()
        assert discovery["issuer"] == e.oidc_issuer

        observed = {info.name: versions.observe(info, e) for info in e.services}
        assert {name: o.running for name, o in observed.items() if o} == {
            info.name: None if info.name == "aws" else info.version for info in e.services
        }  # each running service says the version the provider pinned; moto says none
        assert observed["aws"] and observed["aws"].note == "the service does not report its version"
    finally:
        provider.down(handle)
    _assert_gone(handle)


def test_a_failing_service_stops_the_ones_already_started(tmp_path: Path) -> None:
    def broken_plan(ctx: RunContext) -> Launch:
        time.sleep(1)  # redis is up by now: its process must be stopped by the failure
        return Launch(
            name="broken",
            argv=["sh", "-c", "echo cannot start >&2; exit 2"],
            probes=[Custom("never ready", lambda: False)],
            info=ServiceInfo("broken", "sh", "-", "native"),
            endpoints={},
        )

    broken = Service(name="broken", plan=broken_plan, external={}, external_label="")
    registry = Registry()
    with pytest.raises(ServiceStartError, match="broken failed to start: exited with code 2"):
        start_all(RunContext(run_dir=tmp_path / "run"), registry, lambda _m: None, [redis_service.SERVICE, broken])
    assert sorted(r.name for r in registry.records) == ["broken", "redis"]
    assert not any(r.is_alive() for r in registry.records)


def test_missing_postgres_major_says_what_to_install(tmp_path: Path) -> None:
    provider = NativeProvider(tmp_path, {"postgres_major": 11, "aws": "moto"})
    with pytest.raises(ProviderError, match=r"PostgreSQL 11 is required") as caught:
        provider.up(tmp_path / "run")
    assert "apt install postgresql-11" in str(caught.value)
    assert not (tmp_path / "run").exists()
    assert not [p for p in psutil.process_iter(["cmdline"]) if str(tmp_path) in " ".join(p.info["cmdline"] or [])]


def test_localstack_from_its_cached_venv(tmp_path: Path) -> None:
    needs.localstack_python()
    provider = NativeProvider(tmp_path, {"aws": "localstack"})
    handle = provider.up(tmp_path / "run")
    try:
        aws = next(s for s in handle.endpoints.services if s.name == "aws")
        assert (aws.implementation, aws.version, aws.stand_in) == ("LocalStack", "4.14.0", False)
        _s3_roundtrip(handle.endpoints.aws_endpoint_url)
        health = httpx.get(f"{handle.endpoints.aws_endpoint_url}/_localstack/health").json()
        assert health["services"]["s3"] == "running"
    finally:
        provider.down(handle)
    _assert_gone(handle)


def test_a_port_lost_to_another_program_is_replanned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another program takes LocalStack's port between planning and binding: LocalStack's gateway logs the bind
    error yet reports Ready, and its probe would wait on the other program until the timeout. The harness sees
    that the port answers from outside the service's processes, stops it, and starts it on a fresh port."""
    needs.localstack_python()
    with socket.create_server((LOCALHOST, 0)) as squatter:
        taken = squatter.getsockname()[1]
        planned = iter([taken])
        monkeypatch.setattr(aws, "free_port", lambda: next(planned, None) or free_port())
        progress: list[str] = []
        group = NativeGroup().start(RunContext(run_dir=tmp_path / "run"), progress.append, [aws.SERVICE])
        try:
            url = group.endpoint_fields()["aws_endpoint_url"]
            assert urlsplit(url).port != taken
            said = f"aws: address already in use: port {taken} is held by "
            assert any(m.startswith(said) and m.endswith("; starting it again on fresh ports") for m in progress), (
                progress
            )
            _s3_roundtrip(url)
            assert [r.name for r in group.registry.records] == ["aws", "aws"]  # the first one, stopped, and this
            assert not group.registry.records[0].is_alive()
            record = group.record()  # the service watch follows only the running one; stop covers both
            assert [r["pid"] for r in record["retired"]] == [group.registry.records[0].pid]
            assert [target() for target in process_targets(record["processes"])] == [None]
        finally:
            NativeGroup.stop(group.record())


def test_moto_fallback_is_announced_at_up_with_its_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No Python >= 3.12 for LocalStack: the terminal says at `up` that moto stands in, and why."""
    monkeypatch.setattr(aws, "find_python", lambda: None)
    progress: list[str] = []
    group = NativeGroup().start(RunContext(run_dir=tmp_path / "run"), progress.append, [aws.SERVICE])
    try:
        assert group.infos()[0].implementation == "moto"
        assert progress[0] == (
            "aws: falling back to moto (LocalStack unavailable: LocalStack needs Python >= 3.12 "
            "(none on PATH or in ~/.pyenv/versions))"
        ), progress
    finally:
        NativeGroup.stop(group.record())
