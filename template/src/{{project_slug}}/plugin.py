"""A minimal Kernia plugin carrying only endpoint hooks: how the project extends Kernia without patching."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kernia.types.hooks import AfterHook, BeforeHook, PluginHooks
from kernia.types.plugin import KerniaPlugin


@dataclass(frozen=True, slots=True)
class HooksPlugin:
    id: str
    hooks: PluginHooks
    version: str | None = None
    schema: None = None
    endpoints: tuple[Any, ...] = ()
    middlewares: None = None
    database_hooks: None = None
    on_request: None = None
    on_response: None = None
    rate_limit: tuple[Any, ...] = ()
    error_codes: Mapping[str, str] | None = None
    init: None = None


def hooks_plugin(
    plugin_id: str, *, before: Sequence[BeforeHook] = (), after: Sequence[AfterHook] = ()
) -> KerniaPlugin:
    return HooksPlugin(id=plugin_id, hooks=PluginHooks(before=tuple(before), after=tuple(after)))  # type: ignore[return-value]


def body_dict(body: object) -> dict[str, Any]:
    """A decoded Kernia request body (pydantic model, dataclass or dict) as a plain dict."""
    if body is None:
        return {}
    if isinstance(body, Mapping):
        return dict(body)
    dump = getattr(body, "model_dump", None)
    if dump is not None:
        return dict(dump())
    slots = getattr(body, "__slots__", None) or getattr(body, "__dataclass_fields__", {})
    return {name: getattr(body, name) for name in slots}
