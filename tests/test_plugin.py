"""The pytest plugin: provider options and check names."""

from __future__ import annotations

import pytest


def test_parse_options_refuses_malformed_pairs() -> None:
    from harness.plugin import parse_options

    assert parse_options(["aws=moto", "a=b=c"]) == {"aws": "moto", "a": "b=c"}
    with pytest.raises(pytest.UsageError, match="KEY=VALUE"):
        parse_options(["aws"])


@pytest.mark.parametrize(
    ("nodeid", "name"),
    [
        ("test_a.py::test_login", "test_login"),
        ("test_a.py::test_login@recovery", "test_login"),
        ("test_a.py::test_sig[missing]@sso", "test_sig[missing]"),
        ("test_a.py::test_sig[a@b]", "test_sig[a@b]"),
    ],
)
def test_check_names_drop_the_xdist_group(nodeid: str, name: str) -> None:
    from harness.plugin import check_name

    assert check_name(nodeid) == name
