"""Native provider: every service of the stack as a real local process (no Docker)."""

from harness.native.provider import NativeProvider

__all__ = ["NativeProvider"]
