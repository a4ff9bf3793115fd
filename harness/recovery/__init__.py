"""Backup, restore and verification drills: `harness backup`, `harness restore`, `harness verify`.

Every function takes the running stack (project + provider handle) rather than CLI arguments; every failure
is a RecoveryError whose message names the problem and the fix.
"""

from harness.recovery.artifacts import locate_backup
from harness.recovery.backup import Backup, create_backup
from harness.recovery.database import Server
from harness.recovery.errors import RecoveryError
from harness.recovery.manifest import Manifest
from harness.recovery.restore import RestoreResult, restore_backup
from harness.recovery.storage import Upload, bucket_for, download, upload
from harness.recovery.verify import VerificationResult, verify_database

__all__ = [
    "Backup",
    "Manifest",
    "RecoveryError",
    "RestoreResult",
    "Server",
    "Upload",
    "VerificationResult",
    "bucket_for",
    "create_backup",
    "download",
    "locate_backup",
    "restore_backup",
    "upload",
    "verify_database",
]
