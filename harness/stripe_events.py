"""Old import path, kept until the branches that still import it are merged: use ``harness.services.stripe.events``."""

from harness.services.stripe.events import signature_header, subscription_event

__all__ = ["signature_header", "subscription_event"]
