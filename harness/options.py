"""Provider options: the one parser for repeated ``KEY=VALUE`` pairs (``harness --option``, ``--harness-option``)
and the readers for typed values (yes/no flags, comma-separated lists).

Each provider documents its own options in its module docstring: native (``postgres_major``, ``aws``), compose
(``app``, ``profiles``, ``wait_timeout``, ``oidc_issuer``, ``stripe``, ``project_name``), testcontainers
(``reaper``, ``oidc_issuer``, ``stripe``, ``bind_host``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def parse_options(pairs: Iterable[str], *, flag: str = "--option") -> dict[str, str]:
    """``["aws=moto", "a=b=c"]`` -> ``{"aws": "moto", "a": "b=c"}``; a pair without ``=`` or key is a ValueError."""
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"{flag} expects KEY=VALUE, got {pair!r}")
        options[key] = value
    return options


def flag_option(options: Mapping[str, Any], key: str, *, default: bool) -> bool:
    """A yes/no provider option, given as a bool or as text (`--option app=true`)."""
    value = options.get(key, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"option {key}={value!r}: expected true or false")


def list_option(options: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """A list provider option, given as a list or as comma-separated text (`--option profiles=aws,observability`)."""
    value = options.get(key) or ()
    items = value.split(",") if isinstance(value, str) else value
    return tuple(str(item).strip() for item in items if str(item).strip())
