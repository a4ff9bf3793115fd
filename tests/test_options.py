"""harness.options: the one KEY=VALUE parser and the typed option readers."""

from __future__ import annotations

import pytest

from harness.options import flag_option, list_option, parse_options


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


def test_list_option() -> None:
    assert list_option({"profiles": "aws, observability"}, "profiles") == ("aws", "observability")
    assert list_option({"profiles": ["aws"]}, "profiles") == ("aws",)
    assert list_option({}, "profiles") == ()
