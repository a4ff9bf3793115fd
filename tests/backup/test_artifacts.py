"""Pure parts of the backup library: backup names, manifests, verification messages, locating a backup."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.backup import Backup, BackupError, Manifest, bucket_for, check_bucket, create_backup, upload
from harness.backup.artifacts import backup_stem, locate_backup, manifest_path_for
from harness.backup.database import Server
from harness.backup.manifest import DatabaseDigest, DumpInfo, TableDigest
from harness.backup.verify import TableDifference, VerificationResult
from harness.ports import free_port


def test_backup_names_sort_by_time_and_pair_up() -> None:
    stem = backup_stem("demo", datetime(2026, 11, 27, 10, 15, 30, 123456, tzinfo=UTC))
    assert stem == "demo-20261127T101530.123Z"
    assert manifest_path_for(Path(f"/b/{stem}.dump")) == Path(f"/b/{stem}.manifest.json")
    assert bucket_for("demo_auth") == "demo-auth-backups"


def _manifest() -> Manifest:
    digest = DatabaseDigest("abc123", "0001", "-42", (TableDigest("public.user", 2, "f" * 64, "00ff"),))
    dump = DumpInfo("demo.dump", "e" * 64, 10)
    return Manifest("demo", "2026-11-27T10:15:30+00:00", "18.6", "0.1.0", digest, dump)


def test_manifest_round_trips_through_json(tmp_path: Path) -> None:
    path = tmp_path / "demo.manifest.json"
    _manifest().save(path)
    data = json.loads(path.read_text())
    assert data["schema_version"] == "abc123" and data["hash_probe"] == "-42"
    assert data["tables"] == [{"name": "public.user", "rows": 2, "checksum": "f" * 64, "row_hash": "00ff"}]
    assert Manifest.load(path) == _manifest()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format_version": 99}', "format version 99"),
        ("{not json", "unreadable"),
        ('{"format_version": 1, "database": "demo"}', "damaged"),
    ],
)
def test_a_bad_manifest_is_refused_naming_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "demo.manifest.json"
    path.write_text(content)
    with pytest.raises(BackupError, match=message) as info:
        Manifest.load(path)
    assert str(path) in str(info.value)


def test_verification_message_names_every_table() -> None:
    user = TableDigest("public.user", 2, "a" * 64, "1" * 16)
    session = TableDigest("public.session", 3, "d" * 64, None)
    differences = (
        TableDifference("public.apikey", TableDigest("public.apikey", 3, "b" * 64, None), None),
        TableDifference("public.extra", None, TableDigest("public.extra", 1, "c" * 64, None)),
        TableDifference("public.session", session, TableDigest("public.session", 2, "e" * 64, None)),
        TableDifference("public.user", user, TableDigest("public.user", 2, None, "0" * 16)),
    )
    result = VerificationResult("copy", differences, 3, 5, 0.1, "row hashes")
    assert not result.ok
    assert result.message.splitlines() == [
        "database 'copy' differs from the backup in 4 table(s):",
        "  - public.apikey: missing from the database (the backup has 3 rows)",
        "  - public.extra: not in the backup (the database has 1 rows)",
        "  - public.session: 2 rows, the backup has 3",
        f"  - public.user: content differs (2 rows in both; row_hash {'0' * 12}…, the backup's {'1' * 12}…)",
    ]


def test_a_backup_directory_yields_its_newest_backup(tmp_path: Path) -> None:
    for stem in ("demo-20261127T101530.123Z", "demo-20261127T111530.000Z"):
        manifest = _manifest()
        manifest = Manifest(**{**vars(manifest), "dump": DumpInfo(f"{stem}.dump", "e" * 64, 10)})
        manifest.save(tmp_path / f"{stem}.manifest.json")
    dump, found = locate_backup(tmp_path)
    (tmp_path / "empty").mkdir()
    assert dump == tmp_path / "demo-20261127T111530.000Z.dump" and found.dump.file == dump.name
    with pytest.raises(BackupError, match="no backup in"):
        locate_backup(tmp_path / "empty")


@pytest.mark.parametrize("name", ["../../../etc/passwd", "sub/demo.dump", "/tmp/demo.dump", "..", ""])
def test_a_manifest_naming_its_dump_by_a_path_is_refused_as_damaged(tmp_path: Path, name: str) -> None:
    path = tmp_path / "demo.manifest.json"
    Manifest(**{**vars(_manifest()), "dump": DumpInfo(name, "e" * 64, 10)}).save(path)
    with pytest.raises(BackupError, match="not a file name beside it: it is damaged") as info:
        locate_backup(path)
    assert str(path) in str(info.value) and name in str(info.value)


def test_an_out_directory_that_cannot_be_created_is_named_before_any_dump(tmp_path: Path) -> None:
    a_file = tmp_path / "README.md"
    a_file.write_text("")
    unreachable = Server("postgresql://127.0.0.1:1/postgres", lambda major: pytest.fail("a dump started"))
    for out in (a_file, a_file / "backups"):
        with pytest.raises(BackupError, match=f"backup directory {out} cannot be created .*--out"):
            create_backup(unreachable, "demo", out)
    assert a_file.read_text() == ""


@pytest.mark.parametrize("name", ["Bad_Bucket!", "ab", "a" * 64, "-demo", "demo..backups", "Demo-backups"])
def test_an_invalid_bucket_name_is_refused_before_any_request(tmp_path: Path, name: str) -> None:
    backup = Backup(tmp_path / "demo.dump", tmp_path / "demo.manifest.json", _manifest(), 0.1)
    endpoints = SimpleNamespace(aws_endpoint_url=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with pytest.raises(BackupError, match=f"bucket name '{name}' is not valid in S3: give --bucket"):
        upload(backup, endpoints, name)  # type: ignore[arg-type]
    check_bucket("demo-auth.backups-2")
