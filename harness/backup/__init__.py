"""The backup library behind `harness backup`, `harness restore` and `harness verify`.

It takes a database URL and a PostgreSQL client (a ``Server``), never a running stack, so the recovery drill, the
CLI and the benchmarks share it; every failure is a BackupError whose message names the problem and the fix.
"""

from harness.backup.artifacts import locate_backup
from harness.backup.backup import Backup, create_backup
from harness.backup.database import Server
from harness.backup.manifest import Manifest
from harness.backup.restore import RestoreResult, restore_backup
from harness.backup.storage import Upload, bucket_for, check_bucket, download, prepare_bucket, upload
from harness.backup.verify import VerificationResult, verify_database
from harness.errors import BackupError

__all__ = [
    "Backup",
    "BackupError",
    "Manifest",
    "RestoreResult",
    "Server",
    "Upload",
    "VerificationResult",
    "bucket_for",
    "check_bucket",
    "create_backup",
    "download",
    "locate_backup",
    "prepare_bucket",
    "restore_backup",
    "upload",
    "verify_database",
]
