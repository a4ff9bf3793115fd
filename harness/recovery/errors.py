"""The one error type of the recovery drills: its message names the problem and the fix."""

from __future__ import annotations


class RecoveryError(RuntimeError):
    """A backup, restore or verification could not proceed; the message says what is wrong and what to do."""
