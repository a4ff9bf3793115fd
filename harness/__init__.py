"""Kernia harness: bring a rendered project's stack up anywhere and rehearse its production deployment."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kernia-harness")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
