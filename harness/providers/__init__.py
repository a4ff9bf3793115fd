"""Provider registry: a name on the command line to the class that yields the stack's endpoints."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from harness.providers.base import Provider, ProviderError, StackHandle

# Imported lazily: the compose and testcontainers providers pull in optional dependencies.
PROVIDERS: dict[str, str] = {
    "native": "harness.native:NativeProvider",
    "compose": "harness.providers.compose:ComposeProvider",
    "external": "harness.providers.external:ExternalProvider",
    "testcontainers": "harness.providers.testcontainers:TestcontainersProvider",
}
DEFAULT_PROVIDER = "native"


def provider_class(name: str) -> type[Provider]:
    """Import the provider class lazily, so a missing optional extra fails with an install hint."""
    try:
        target = PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise ProviderError(f"unknown provider {name!r}: choose one of {known}") from None
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        extra = {"compose": "kernia-harness[compose]", "testcontainers": "kernia-harness[testcontainers]"}
        hint = f"; install {extra[name]!r}" if name in extra else ""
        raise ProviderError(f"provider {name!r} cannot be loaded ({exc}){hint}") from exc
    return getattr(module, attr)


def get_provider(name: str, project_dir: Path, options: dict[str, Any] | None = None) -> Provider:
    """A provider instance for the name given on the command line."""
    return provider_class(name)(project_dir, options)


__all__ = ["DEFAULT_PROVIDER", "PROVIDERS", "Provider", "ProviderError", "StackHandle", "get_provider"]
