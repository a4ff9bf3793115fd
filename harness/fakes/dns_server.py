"""Old import path, kept until the branches that still import it are merged: use ``harness.services.dns.fake``."""

from harness.services.dns.fake import control_url, publish_txt

__all__ = ["control_url", "publish_txt"]
