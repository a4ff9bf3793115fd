"""The testcontainers provider's typed options, and the install hint when its extra is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from harness.providers.base import ProviderError
from harness.providers.testcontainers import Options, TestcontainersProvider


def test_defaults() -> None:
    assert Options.parse({}) == Options(reaper=True, oidc_issuer="", stripe="fake", bind_host="127.0.0.1")
    assert Options.parse({"postgres_major": 17}).wait_timeout == 180  # harness-wide keys are accepted


def test_the_reaper_is_off_when_the_stack_outlives_the_command() -> None:
    # `harness up` marks the stack detached: Ryuk would remove it ~10 s after the command exits.
    assert Options.parse({"detached": "true"}).reaper is False
    assert Options.parse({"detached": "false"}).reaper is True
    assert Options.parse({"reaper": "false"}).reaper is False
    with pytest.raises(ValueError, match=r"reaper=true: Ryuk would remove the containers .* drop the option"):
        Options.parse({"detached": "true", "reaper": "true"})


def test_values_are_typed() -> None:
    options = Options.parse(
        {
            "reaper": "no",
            "oidc_issuer": "https://idp.example",
            "stripe": "stack",
            "bind_host": "0.0.0.0",
            "wait_timeout": "30",
        }
    )
    assert options == Options(False, "https://idp.example", "stack", "0.0.0.0", 30)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"reaper": "sometimes"}, r"option reaper='sometimes': expected true or false"),
        ({"stripe": "real"}, r"option stripe='real': expected one of fake, stack"),
        ({"bind_host": "localhost"}, r"bind_host='localhost': give an IP address"),
        ({"wait_timeout": "soon"}, r"wait_timeout='soon': expected a whole number"),
        ({"wait_timeout": "0"}, r"wait_timeout=0: give seconds"),
        ({"reaper_": "false"}, r"the testcontainers provider has no option reaper_ \(its options: reaper, oidc_issuer"),
    ],
)
def test_a_bad_option_is_named_with_the_fix(mapping: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Options.parse(mapping)


def test_a_bad_option_fails_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="reaper='sometimes'"):
        TestcontainersProvider(tmp_path, {"reaper": "sometimes"}).up(tmp_path)


@pytest.mark.parametrize("missing", ["testcontainers", "docker"])
def test_a_missing_extra_gives_the_install_hint(missing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The provider module itself imports without the extra (lazy imports), so the registry's hint cannot fire.
    for name in [m for m in sys.modules if m == missing or m.startswith(f"{missing}.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, missing, None)  # `import missing` now raises ImportError
    provider = TestcontainersProvider(tmp_path)
    with pytest.raises(ProviderError, match=r"install 'kernia-harness\[testcontainers\]'"):
        provider.up(tmp_path)
