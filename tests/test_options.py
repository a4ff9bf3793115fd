"""harness.options: the one KEY=VALUE parser and the typed option readers."""

from __future__ import annotations

import pytest

from harness.cli import main
from harness.native.provider import NativeOptions
from harness.options import flag_option, parse_options
from harness.providers import PROVIDERS, provider_class
from harness.providers.compose import ComposeOptions


def test_parse_options_keeps_everything_after_the_first_equals_sign() -> None:
    assert parse_options(["aws=moto", "a=b=c"]) == {"aws": "moto", "a": "b=c"}
    with pytest.raises(ValueError, match="--option expects KEY=VALUE, got 'aws'"):
        parse_options(["aws"])
    with pytest.raises(ValueError, match="--harness-option expects KEY=VALUE, got '=x'"):
        parse_options(["=x"], flag="--harness-option")


@pytest.mark.parametrize(("value", "expected"), [(True, True), ("true", True), ("1", True), ("no", False), ("", False)])
def test_flag_option(value: object, expected: bool) -> None:
    assert flag_option({"app": value}, "app", default=not expected) is expected


def test_flag_option_default_and_rejection() -> None:
    assert flag_option({}, "app", default=True) is True
    with pytest.raises(ValueError, match="app='maybe'"):
        flag_option({"app": "maybe"}, "app", default=False)


def test_list_options() -> None:
    assert ComposeOptions.parse({"profiles": "aws, observability"}).profiles == ("aws", "observability")
    assert ComposeOptions.parse({"profiles": ["aws"]}).profiles == ("aws",)
    assert ComposeOptions.parse({}).profiles == ()


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_every_provider_documents_its_options(provider: str) -> None:
    for name, _default, help_text in provider_class(provider).Options.describe():
        assert name and help_text, (provider, name)


def test_typed_options_convert_text_and_keep_defaults() -> None:
    options = ComposeOptions.parse({"app": "yes", "profiles": "aws, observability", "wait_timeout": "60"})
    assert (options.app, options.profiles, options.wait_timeout) == (True, ("aws", "observability"), 60)
    assert (options.stripe, options.project_name) == ("fake", "")
    assert NativeOptions.parse({"postgres_major": "17"}).postgres_major == 17
    assert ComposeOptions.parse({"postgres_major": 18}) == ComposeOptions()  # the harness passes the project's answer


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"ap": "true"}, "the compose provider has no option ap (its options: app, profiles, wait_timeout"),
        ({"wait_timeout": "soon"}, "option wait_timeout='soon': expected a whole number"),
        ({"stripe": "real"}, "option stripe='real': expected one of fake, stack"),
        ({"app": "perhaps"}, "option app='perhaps': expected true or false"),
    ],
)
def test_a_bad_option_is_refused_naming_it(values: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        ComposeOptions.parse(values)
    assert message in str(raised.value)


def test_harness_providers_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["providers"]) == 0
    out = capsys.readouterr().out
    assert "--option app=false" in out and "--option aws=auto" in out and "external: no options" in out
