"""AWS: LocalStack (PyPI ``localstack-core[runtime]==4.14.0``, the compose image's release) in its own
cached virtualenv on Python >= 3.12, else moto's server (``moto[server]``, runs on this interpreter).

LocalStack 4.14 does not import on Python 3.11, so its venv is built with uv on a newer interpreter found
on PATH or under ~/.pyenv/versions, once per (release, Python) and cached. The pins below are the ones
measured to work (without them: "No component plugins found" / cbor2 decoder errors). Force the fallback
with ``options["aws"] = "moto"`` (fast tests); ``options["aws"] = "localstack"`` makes a failed build fatal.
LocalStack's S3 writes the hard-coded /tmp/localstack-s3-storage: removed on down if this run created it.

``sent_sms`` reads the SMS the stack's SNS "delivered", as an operator reads the provider's log: LocalStack's
``/_aws/sns/sms-messages``, or moto's request recorder (moto keeps SMS in memory only; its server starts
recording here so the Publish calls can be read back).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from harness.endpoints import Endpoints, ServiceInfo
from harness.errors import ProviderError
from harness.ports import free_port
from harness.process import run_step
from harness.pythonenv import python_env
from harness.readiness import Custom, HttpStatus
from harness.services import ContainerRun, Credentials, Port, Service, image_of
from harness.services.launch import LOCALHOST, UNKNOWN, Launch, RunContext
from harness.toolcache import ensure_tool

NAME = "aws"
MOTO = "moto"
PORT = 4566  # LocalStack's gateway inside its container
LOCALSTACK_VERSION = "4.14.0"
LOCALSTACK_PINS = (
    f"localstack-core[runtime]=={LOCALSTACK_VERSION}",
    "cbor2<6",
    "cryptography==45.0.7",
    "pyopenssl==25.3.0",
    "service_identity",
)
SERVICES = "s3,sqs,sns,ses,secretsmanager"
STOP_GRACE = 1.0  # seconds from SIGTERM to SIGKILL
S3_STORAGE = Path("/tmp/localstack-s3-storage")
MIN_PYTHON = (3, 12)


def find_python() -> tuple[Path, tuple[int, int]] | None:
    """The newest Python >= 3.12 on PATH or in pyenv (3.13 and 3.12 preferred: the measured ones)."""
    candidates = [shutil.which(n) for n in ("python3.13", "python3.12", "python3")]
    for root in {Path.home() / ".pyenv" / "versions", Path("/root/.pyenv/versions")}:
        if root.is_dir():
            candidates += [str(p) for p in sorted(root.glob("3.*/bin/python3"))]
    found: dict[tuple[int, int], Path] = {}
    for candidate in filter(None, candidates):
        ver = _python_version(Path(candidate))
        if ver is not None and ver >= MIN_PYTHON:
            found.setdefault(ver, Path(candidate))
    for preferred in ((3, 13), (3, 12)):
        if preferred in found:
            return found[preferred], preferred
    return (found[max(found)], max(found)) if found else None


def _python_version(python: Path) -> tuple[int, int] | None:
    match = re.search(r"/versions/(\d+)\.(\d+)\.", str(python))
    if match:  # pyenv layout names the version; spares a subprocess per candidate
        return int(match.group(1)), int(match.group(2))
    try:
        out = subprocess.run(
            [str(python), "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return int(out[0]), int(out[1])


def uv_bin() -> str:
    """The uv installed with the harness (PyPI ``uv``, a dependency): never depends on PATH."""
    try:
        from uv import find_uv_bin
    except ImportError as exc:
        raise ProviderError("building the LocalStack venv needs uv: `pip install uv`") from exc
    try:
        return find_uv_bin()
    except FileNotFoundError as exc:
        raise ProviderError(f"building the LocalStack venv needs uv: {exc}") from exc


def localstack_venv(ctx: RunContext) -> Path:
    """The cached LocalStack venv's python, built on first use; ProviderError says why it cannot be."""
    found = find_python()
    if found is None:
        raise ProviderError("LocalStack needs Python >= 3.12 (none on PATH or in ~/.pyenv/versions)")
    python, (major, minor) = found
    uv = uv_bin()
    log = ctx.log_path(f"{NAME}-build")

    def build(staging: Path) -> None:
        venv = staging / "venv"
        run_step(NAME, [uv, "venv", "--quiet", "--relocatable", "-p", str(python), str(venv)], log_path=log)
        run_step(
            NAME,
            # --compile-bytecode: pay for .pyc once here, not on every start (~5 s on 2 cores)
            [
                uv,
                "pip",
                "install",
                "--quiet",
                "--compile-bytecode",
                "--python",
                str(venv / "bin" / "python"),
                *LOCALSTACK_PINS,
            ],
            log_path=log,
            timeout=600,
        )

    entry = ensure_tool(f"localstack-{LOCALSTACK_VERSION}-py{major}{minor}", build)
    return entry / "venv" / "bin" / "python"


def plan(ctx: RunContext) -> Launch:
    """LocalStack when it can be installed, else moto; options['aws'] forces either."""
    choice = ctx.options.get("aws", "auto")
    if choice == "moto":
        return moto_plan(ctx, reason="forced by options['aws']='moto'")
    try:
        python = localstack_venv(ctx)
    except ProviderError as exc:
        if choice == "localstack":
            raise
        return moto_plan(ctx, reason=f"LocalStack unavailable: {str(exc).splitlines()[0]}")
    return localstack_plan(ctx, python)


def localstack_plan(ctx: RunContext, python: Path) -> Launch:
    """Launch LocalStack from its own virtualenv, ready when its health lists every service in ``SERVICES``."""
    home = ctx.service_dir(NAME)
    port = free_port()
    url = f"http://{LOCALHOST}:{port}"
    env = {
        **os.environ,
        "GATEWAY_LISTEN": f"{LOCALHOST}:{port}",
        # LocalStack's default gateway (twisted) drops GATEWAY_LISTEN's host and listens on every interface
        # (localstack/aws/serving/twisted.py: "TODO: interface = host?"); hypercorn binds exactly that address.
        "GATEWAY_SERVER": "hypercorn",
        "LOCALSTACK_HOST": f"{LOCALHOST}:{port}",
        "SERVICES": SERVICES,
        "DISABLE_EVENTS": "1",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "DNS_ADDRESS": "0",
        "OVERRIDE_IN_DOCKER": "0",
        "FILESYSTEM_ROOT": str(home / "filesystem"),
        "SQS_ENDPOINT_STRATEGY": "path",  # queue URLs on the gateway itself, not on a *.localstack.cloud name
    }
    return Launch(
        name=NAME,
        argv=[str(python), "-m", "localstack.runtime.main"],
        probes=[Custom(f"HTTP GET {url}/_localstack/health lists {SERVICES}", lambda: _localstack_ready(url), port)],
        info=ServiceInfo(NAME, "LocalStack", LOCALSTACK_VERSION, "native"),
        endpoints={"aws_endpoint_url": url},
        env=env,
        cwd=home,
        state={"account_id": "000000000000"},
        cleanup=[] if S3_STORAGE.exists() else [str(S3_STORAGE)],
        timeout=90.0,
        # Its graceful stop waits ~3 s on its SQS workers; it keeps nothing a run needs (no persistence).
        stop_grace=STOP_GRACE,
    )


def _localstack_ready(url: str) -> bool:
    services = httpx.get(f"{url}/_localstack/health", timeout=1.0).json().get("services", {})
    return all(services.get(s) in ("available", "running") for s in SERVICES.split(","))


def moto_plan(ctx: RunContext, *, reason: str) -> Launch:
    """Launch moto's server as the AWS stand-in (S3, SQS, SNS ...) when LocalStack is unavailable."""
    try:
        moto_version = version("moto")
    except PackageNotFoundError:
        raise ProviderError(f"{reason}; the fallback needs moto: `pip install 'moto[server]'`") from None
    port = free_port()
    url = f"http://{LOCALHOST}:{port}"
    home = ctx.service_dir(NAME)
    recording = {"MOTO_ENABLE_RECORDING": "1", "MOTO_RECORDER_FILEPATH": str(home / "recording.jsonl")}
    return Launch(
        name=NAME,
        argv=[sys.executable, "-m", "moto.server", "-H", LOCALHOST, "-p", str(port)],
        probes=[HttpStatus(f"{url}/moto-api/data.json")],
        info=ServiceInfo(NAME, MOTO, moto_version, "native", stand_in=True),
        endpoints={"aws_endpoint_url": url},
        env=python_env({**os.environ, **recording}),
        cwd=home,
        state={"account_id": "123456789012", "fallback_reason": reason},
    )


# The stand-ins' region and credentials (LocalStack and moto accept any key): facts of the stand-in, not secrets.
REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def client(endpoint_url: str, service: str, **options: Any) -> Any:
    """A boto3 client for ``service`` on the stack's AWS stand-in (boto3 is imported only when one is made)."""
    import boto3

    return boto3.client(service, endpoint_url=endpoint_url, region_name=REGION, **CREDENTIALS, **options)


def backend_env(endpoint_url: str) -> dict[str, str]:
    """What the backend needs to reach the stand-in, as environment variables."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
    }


def running_version(endpoints: Endpoints) -> str:
    """LocalStack's health names its version; moto serves none (its report then says so)."""
    response = httpx.get(f"{endpoints.aws_endpoint_url}/_localstack/health", timeout=5.0)
    if response.status_code == 404:
        return UNKNOWN
    return str(response.raise_for_status().json().get("version") or UNKNOWN)


def sent_sms(endpoint_url: str, implementation: str, region: str = REGION) -> list[tuple[str, str]]:
    """Every SMS the stack's SNS has sent so far, oldest first, as (phone number, message)."""
    if implementation == MOTO:
        recording = httpx.get(f"{endpoint_url}/moto-api/recorder/download-recording", timeout=10)
        recording.raise_for_status()
        return [sms for line in recording.text.splitlines() if line and (sms := _published_sms(json.loads(line)))]
    response = httpx.get(f"{endpoint_url}/_aws/sns/sms-messages", params={"region": region}, timeout=10)
    response.raise_for_status()
    messages = [m for batch in response.json().get("sms_messages", {}).values() for m in batch]
    return [(m["PhoneNumber"], m["Message"]) for m in messages]


def _published_sms(entry: dict[str, Any]) -> tuple[str, str] | None:
    """The (phone, message) of one recorded SNS ``Publish`` to a phone number (query or JSON protocol)."""
    body = entry.get("body") or ""
    text = base64.b64decode(body).decode(errors="replace") if entry.get("body_encoded") else body
    target = str(entry.get("headers", {}).get("X-Amz-Target", ""))
    fields: dict[str, Any]
    if target:  # JSON protocol
        if not target.endswith(".Publish"):
            return None
        fields = json.loads(text or "{}")
    else:  # query protocol
        query = parse_qs(text)
        if query.get("Action") != ["Publish"]:
            return None
        fields = {key: values[0] for key, values in query.items()}
    phone = fields.get("PhoneNumber")
    return (str(phone), str(fields.get("Message", ""))) if phone else None


def endpoints(host: str, port: Mapping[int, int], env: Mapping[str, str]) -> dict[str, Any]:
    return {"aws_endpoint_url": f"http://{host}:{port[PORT]}"}


def container(compose: Mapping[str, Any], credentials: Credentials) -> ContainerRun:
    """LocalStack with the services compose.yaml lists for it: a plain container, ready when compose's healthcheck
    says its services run (testcontainers' LocalStack module waits for a log line with a fixed 60 s limit)."""
    env = {"SERVICES": str(compose["environment"]["SERVICES"]), "EAGER_SERVICE_LOADING": "1"}
    return ContainerRun(image_of(compose), env)


SERVICE = Service(
    name=NAME,
    plan=plan,
    external={"aws_endpoint_url": "HARNESS_AWS_ENDPOINT_URL"},
    external_label="HARNESS_AWS_ENDPOINT_URL",
    compose_name="localstack",
    ports=(Port(PORT, "LOCALSTACK_PORT"),),
    endpoints=endpoints,
    container=container,
    compose_optional=True,  # compose.yaml's `aws` profile
    version=running_version,
)
