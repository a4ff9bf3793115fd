"""Who counts as an administrator (Kernia's admin plugin stores comma-separated roles in ``user.role``)."""

from __future__ import annotations

from typing import Any

ADMIN_ROLE = "admin"


def is_admin_user(user: dict[str, Any]) -> bool:
    return ADMIN_ROLE in str(user.get("role") or "").split(",")
