"""The one error type of the backup library: its message names the problem and the fix (defined in harness.errors,
so the PostgreSQL client tools below this package raise it too)."""

from __future__ import annotations

from harness.errors import RecoveryError

__all__ = ["RecoveryError"]
