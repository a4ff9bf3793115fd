"""Backups in the stack's object storage (an S3 bucket in LocalStack or moto), each object proven intact.

After an upload the object is checked against the local SHA-256: by the server's own ChecksumSHA256 when
the object went up in one part and the server keeps full-object checksums, otherwise by downloading it
again and hashing the stream. A download is checked against its manifest before anyone restores from it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.exceptions
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from harness.backup.artifacts import check_dump, locate_backup, manifest_path_for
from harness.backup.backup import Backup
from harness.backup.manifest import sha256_file
from harness.endpoints import Endpoints
from harness.errors import BackupError
from harness.services import aws

SINGLE_PART_LIMIT = 64 * 1024 * 1024  # larger files go up in parts and are verified by download
_CHUNK = 1 << 20
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")  # S3's rule for general purpose buckets


@dataclass(frozen=True)
class Upload:
    """Where a backup went in S3 and how its integrity was verified."""

    bucket: str
    dump_key: str
    manifest_key: str
    seconds: float
    verified_by: str  # "ChecksumSHA256" (the server's) or "download" (fetched again and hashed)


def bucket_for(slug: str) -> str:
    """``<slug>-backups``, made a valid bucket name (lowercase, no underscores)."""
    return f"{slug.lower().replace('_', '-')}-backups"


def check_bucket(name: str) -> None:
    """Refuse a name S3 would refuse, before a backup is taken for nothing."""
    if not BUCKET_NAME.fullmatch(name) or ".." in name:
        raise BackupError(
            f"bucket name {name!r} is not valid in S3: give --bucket 3 to 63 lowercase letters, digits, dots or "
            "hyphens, starting and ending with a letter or digit"
        )


def s3_client(endpoint_url: str) -> Any:
    """boto3 S3 client for the stack's S3 endpoint with the emulator's dummy credentials."""
    config = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 2, "mode": "standard"})
    return aws.client(endpoint_url, "s3", config=config)


@contextmanager
def object_store(endpoint_url: str, local: str) -> Iterator[Any]:
    """An S3 client whose failures name the endpoint, the fix, and where the local copy is."""
    try:
        yield s3_client(endpoint_url)
    except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError) as exc:
        raise BackupError(
            f"object storage at {endpoint_url} is unreachable ({exc}): start the stack (`harness up`) or fix "
            f"aws_endpoint_url, then upload again; {local}"
        ) from exc
    except botocore.exceptions.ClientError as exc:
        raise BackupError(f"object storage at {endpoint_url} refused the request ({exc}); {local}") from exc


def prepare_bucket(endpoints: Endpoints, bucket: str) -> None:
    """Create ``bucket`` unless it exists. A drill calls it ahead of the upload, beside other work: LocalStack
    loads its S3 service on the first request (measured: 3.6 s)."""
    with object_store(endpoints.aws_endpoint_url, "nothing was uploaded yet") as s3:
        _ensure_bucket(s3, bucket)


def upload(backup: Backup, endpoints: Endpoints, bucket: str | None = None) -> Upload:
    """Upload the dump, then its manifest (present only once the dump is), and verify both objects."""
    started = time.perf_counter()
    bucket = bucket or bucket_for(backup.manifest.database)
    check_bucket(bucket)
    local = f"the local backup stays at {backup.dump_path}"
    with object_store(endpoints.aws_endpoint_url, local) as s3:
        _ensure_bucket(s3, bucket)
        methods = {
            _put_verified(s3, path, bucket, sha256)
            for path, sha256 in (
                (backup.dump_path, backup.sha256),
                (backup.manifest_path, sha256_file(backup.manifest_path)[0]),
            )
        }
    verified_by = "download" if "download" in methods else "ChecksumSHA256"
    seconds = time.perf_counter() - started
    return Upload(bucket, backup.dump_path.name, backup.manifest_path.name, seconds, verified_by)


def download(endpoints: Endpoints, bucket: str, dump_key: str, dest_dir: Path) -> Path:
    """Fetch a dump and its manifest into ``dest_dir``; refuse a dump that does not match its manifest."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    dump = dest_dir / Path(dump_key).name
    manifest = manifest_path_for(dump)
    for path in (dump, manifest):
        if path.exists():
            raise BackupError(f"{path} exists: nothing is overwritten; download into another directory")
    with object_store(endpoints.aws_endpoint_url, f"nothing was downloaded to {dest_dir}") as s3:
        for path in (manifest, dump):
            key = str(Path(dump_key).with_name(path.name))
            s3.download_file(bucket, key, str(path))
    located, parsed = locate_backup(dump)
    check_dump(located, parsed)
    return located


def _ensure_bucket(s3: Any, bucket: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
        s3.create_bucket(Bucket=bucket)


def _put_verified(s3: Any, path: Path, bucket: str, sha256: str) -> str:
    """Upload one file and prove the stored object equals it (``sha256``); returns how it was proven."""
    size = path.stat().st_size
    s3.upload_file(
        str(path),
        bucket,
        path.name,
        ExtraArgs={"ChecksumAlgorithm": "SHA256", "Metadata": {"sha256": sha256}},
        Config=TransferConfig(multipart_threshold=SINGLE_PART_LIMIT),
    )
    head = s3.head_object(Bucket=bucket, Key=path.name, ChecksumMode="ENABLED")
    where = f"s3://{bucket}/{path.name}"
    if head["ContentLength"] != size:
        raise BackupError(f"{where} holds {head['ContentLength']} bytes, {path} has {size}: upload again")
    server = head.get("ChecksumSHA256")
    if server and size <= SINGLE_PART_LIMIT and head.get("ChecksumType", "FULL_OBJECT") == "FULL_OBJECT":
        expected, method = base64.b64encode(bytes.fromhex(sha256)).decode(), "ChecksumSHA256"
    else:
        server, expected, method = _stream_sha256(s3, bucket, path.name), sha256, "download"
    if server != expected:
        raise BackupError(f"{where} does not match {path} (SHA-256 {server} vs {expected}): upload again")
    return method


def _stream_sha256(s3: Any, bucket: str, key: str) -> str:
    digest = hashlib.sha256()
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    for chunk in body.iter_chunks(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()
