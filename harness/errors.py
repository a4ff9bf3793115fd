"""Errors shared across layers, in a leaf module so the low-level modules that raise them import nothing above."""

from __future__ import annotations


class ProviderError(RuntimeError):
    """A provider could not do its job; the message says what failed and what to do about it."""


class BackupError(RuntimeError):
    """A backup, restore or verification could not proceed; the message says what is wrong and what to do."""
