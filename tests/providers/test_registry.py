"""The provider registry: names on the command line to provider classes."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.providers import ProviderError, get_provider, provider_class


def test_unknown_provider_names_the_choices() -> None:
    with pytest.raises(ProviderError, match="unknown provider 'kubernetes': choose one of compose, external"):
        provider_class("kubernetes")


def test_every_registered_provider_loads(tmp_path: Path) -> None:
    for name in ("native", "compose", "external", "testcontainers"):
        assert get_provider(name, tmp_path).name == name
