"""Old import path, kept until the branches that still import it are merged: use ``harness.services.mail.client``."""

from harness.services.mail.client import MailMessage, MailpitClient, search_query

__all__ = ["MailMessage", "MailpitClient", "search_query"]
