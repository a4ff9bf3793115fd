"""Sidecars: the harness's own IdP (and stateful Stripe) beside stacks that lack them, started and stopped with them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import psutil
import pytest

from harness import sidecars, stack
from harness.project import Project
from harness.providers.base import StackHandle
from harness.providers.external import ENV_VARS
from harness.services import dns, oidc, stripe
from tests.helpers.records import ENDPOINTS, write_answers


def handle(provider: str, **fields: str) -> StackHandle:
    return StackHandle(provider, replace(ENDPOINTS, provider=provider, **fields), Path("/nonexistent"))


@pytest.mark.parametrize(
    ("provider", "fields", "options", "expected"),
    [
        ("native", {"dns_url": "http://127.0.0.1:1"}, {}, []),
        ("native", {}, {}, [dns.SERVICE]),  # no stack serves DNS: the stand-in for SSO domain proofs runs beside it
        ("external", {"oidc_issuer": ""}, {}, [oidc.SERVICE, dns.SERVICE]),
        ("compose", {"oidc_issuer": ""}, {}, [oidc.SERVICE, dns.SERVICE, stripe.SERVICE]),
        ("compose", {"oidc_issuer": ""}, {"stripe": "stack"}, [oidc.SERVICE, dns.SERVICE]),
        ("testcontainers", {}, {}, [dns.SERVICE, stripe.SERVICE]),
    ],
)
def test_which_sidecars_a_stack_needs(provider: str, fields: dict, options: dict, expected: list) -> None:
    assert sidecars.needed(handle(provider, **fields), options) == expected


@pytest.mark.slow
def test_external_stack_without_idp_gets_a_sidecar_idp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERNIA_HARNESS_RUNTIME", str(tmp_path / "runtime"))
    for field, var in ENV_VARS.items():
        monkeypatch.setenv(var, str(getattr(ENDPOINTS, field)))
    monkeypatch.delenv("HARNESS_OIDC_ISSUER")
    project = Project.load(write_answers(tmp_path / "p"))
    running = stack.up(project, "external")
    issuer = running.handle.endpoints.oidc_issuer
    pids = [r["pid"] for r in running.handle.state["sidecars"]["processes"]]
    try:
        assert issuer.startswith("http://127.0.0.1:")
        assert httpx.get(f"{issuer}/.well-known/openid-configuration").json()["issuer"] == issuer
        assert any(s.name == "oidc" and s.mode.endswith("sidecar") for s in running.handle.endpoints.services)
    finally:
        stack.down(project)
    assert not any(psutil.pid_exists(pid) for pid in pids), "the sidecar outlived `down`"
