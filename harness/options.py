"""Provider options: the one parser for repeated ``KEY=VALUE`` pairs (``harness --option``, ``--harness-option``)
and typed option records, one frozen dataclass per provider whose fields document themselves.

A provider declares ``Options`` (a subclass of ``ProviderOptions``); ``Options.parse(mapping)`` converts text to
each field's type (bool, int, str, tuple of str) and refuses an unknown key or a bad value with a message naming
the option, what it expects and the provider's options. ``harness providers`` prints them.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Self

# Keys every provider accepts because the harness itself passes them: the project's answers, and whether the stack
# must outlive the command that starts it (`harness up`, `rehearse --keep`).
PROJECT_KEYS = frozenset({"postgres_major", "detached"})


def parse_options(pairs: Iterable[str], *, flag: str = "--option") -> dict[str, str]:
    """``["aws=moto", "a=b=c"]`` -> ``{"aws": "moto", "a": "b=c"}``; a pair without ``=`` or key is a ValueError."""
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"{flag} expects KEY=VALUE, got {pair!r}")
        options[key] = value
    return options


def option(default: Any, help: str, choices: tuple[str, ...] = ()) -> Any:
    """A documented option field: ``app: bool = option(False, "also run backend and frontend")``."""
    factory = {"default_factory": lambda: default} if isinstance(default, (list, dict)) else {"default": default}
    return dataclasses.field(**factory, metadata={"help": help, "choices": choices})


@dataclasses.dataclass(frozen=True)
class ProviderOptions:
    """Base of every provider's options; subclasses are frozen dataclasses of ``option(...)`` fields."""

    provider: ClassVar[str] = "provider"

    @classmethod
    def parse(cls, values: Mapping[str, Any] | None) -> Self:
        """Typed options from ``--option`` text (or already typed values); ValueError names what is wrong."""
        values = dict(values or {})
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(known) - PROJECT_KEYS)
        if unknown:
            listing = ", ".join(known) or "none"
            raise ValueError(f"the {cls.provider} provider has no option {', '.join(unknown)} (its options: {listing})")
        hints = typing.get_type_hints(cls)
        typed = {name: _convert(known[name], hints[name], value) for name, value in values.items() if name in known}
        return cls(**typed)

    @classmethod
    def describe(cls) -> list[tuple[str, str, str]]:
        """(name, default, help) per option, for ``harness providers`` and the docs."""
        rows = []
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            shown = (
                ",".join(default)
                if isinstance(default, tuple)
                else str(default).lower()
                if isinstance(default, bool)
                else str(default)
            )
            choices = f.metadata.get("choices") or ()
            help_text = f.metadata.get("help", "") + (f" (one of: {', '.join(choices)})" if choices else "")
            rows.append((f.name, shown, help_text))
        return rows


def _convert(f: dataclasses.Field[Any], hint: Any, value: Any) -> Any:
    name = f.name
    if hint is bool:
        return _flag(name, value)
    if hint is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValueError(f"option {name}={value!r}: expected a whole number") from None
    if typing.get_origin(hint) is tuple:
        return _items(value)
    text = str(value)
    choices = f.metadata.get("choices") or ()
    if choices and text not in choices:
        raise ValueError(f"option {name}={text!r}: expected one of {', '.join(choices)}")
    return text


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"option {name}={value!r}: expected true or false")


def _items(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value or ()
    return tuple(str(item).strip() for item in items if str(item).strip())


def flag_option(options: Mapping[str, Any], key: str, *, default: bool) -> bool:
    """A yes/no option read from an untyped mapping (`--option app=true`)."""
    return _flag(key, options.get(key, default))
