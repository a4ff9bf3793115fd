"""Stripe webhook events as Stripe sends them: JSON bodies signed with the endpoint's secret.

Stripe's scheme (``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``) is a few lines; the
``stripe`` SDK only verifies signatures and would be a large dependency for signing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``body``, as Stripe signs webhook deliveries."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def subscription_event(
    event_type: str,
    *,
    customer: str,
    subscription_id: str,
    price_id: str,
    status: str = "active",
    event_id: str | None = None,
) -> bytes:
    """A ``customer.subscription.*`` event for one subscription with one monthly price item."""
    now = int(time.time())
    event: dict[str, Any] = {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": event_type,
        "created": now,
        "data": {
            "object": {
                "id": subscription_id,
                "object": "subscription",
                "customer": customer,
                "status": status,
                "metadata": {},
                "items": {
                    "data": [
                        {
                            "id": f"si_{uuid.uuid4().hex[:14]}",
                            "quantity": 1,
                            "current_period_start": now,
                            "current_period_end": now + 30 * 86400,
                            "price": {"id": price_id, "recurring": {"interval": "month"}},
                        }
                    ]
                },
            }
        },
    }
    return json.dumps(event).encode()
