"""A backup on disk is two files side by side: ``<slug>-<timestamp>.dump`` and ``<same>.manifest.json``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from harness.backup.manifest import Manifest, sha256_file
from harness.errors import BackupError

DUMP_SUFFIX = ".dump"
MANIFEST_SUFFIX = ".manifest.json"


def backup_stem(slug: str, when: datetime) -> str:
    """``drill-20261127T101530.123Z``: sorts by time; milliseconds keep two quick backups apart."""
    return f"{slug}-{when:%Y%m%dT%H%M%S}.{when.microsecond // 1000:03d}Z"


def manifest_path_for(dump: Path) -> Path:
    return dump.with_name(dump.name.removesuffix(DUMP_SUFFIX) + MANIFEST_SUFFIX)


def locate_backup(path: Path) -> tuple[Path, Manifest]:
    """The dump and its manifest from either file's path, or the newest backup in the directory ``harness backup
    --out`` wrote; a missing file is named with the way forward."""
    if path.is_dir():
        manifests = sorted(path.glob(f"*{MANIFEST_SUFFIX}"))  # names sort by time: the last is the newest
        if not manifests:
            raise BackupError(
                f"no backup in {path}: no *{MANIFEST_SUFFIX} there; pass the --out directory of `harness backup` "
                "or its .dump file"
            )
        path = manifests[-1]
    if path.name.endswith(MANIFEST_SUFFIX):
        manifest_path = path
    else:
        if not path.is_file():
            raise BackupError(
                f"backup {path} not found: pass the .dump file that `harness backup` wrote (its --out "
                "directory), or download it from the stack's backup bucket first"
            )
        manifest_path = manifest_path_for(path)
    manifest = Manifest.load(manifest_path)
    return manifest_path.with_name(manifest.dump.file), manifest


def check_dump(dump: Path, manifest: Manifest) -> None:
    """Refuse a dump whose size or SHA-256 differs from what its manifest recorded at backup time."""
    if not dump.is_file():
        raise BackupError(
            f"dump {dump} named by its manifest is missing: copy it beside the manifest, or download it again"
        )
    sha256, size = sha256_file(dump)
    if (sha256, size) != (manifest.dump.sha256, manifest.dump.size):
        kind = "truncated" if size < manifest.dump.size else "corrupted"
        raise BackupError(
            f"dump {dump} is {kind}: {size} bytes with SHA-256 {sha256[:16]}…, but its manifest records "
            f"{manifest.dump.size} bytes with SHA-256 {manifest.dump.sha256[:16]}…. Refusing to restore it: "
            "download an intact copy from the backup bucket, or take a new backup"
        )
