"""Stripe: ``stripe-mock`` on PATH, else kernia-test-utils' MockStripe over HTTP (harness.services.stripe.fake)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from typing import Any

import httpx

from harness.endpoints import Endpoints, ServiceInfo
from harness.ports import free_port
from harness.pythonenv import python_env
from harness.readiness import HttpStatus, TcpOpen
from harness.services import (
    STAND_IN_VERSION_HEADER,
    ContainerRun,
    Credentials,
    HttpWait,
    Port,
    Service,
    image_of,
    mocks_version,
)
from harness.services.launch import UNKNOWN, Launch, RunContext, binary_version, python_module_argv

NAME = "stripe"
PORT = 12111  # stripe-mock's HTTP port inside its container
TEST_KEY = "sk_test_devonly"  # stripe-mock accepts any sk_test_ key; this one is not a secret


def plan(ctx: RunContext) -> Launch:
    """stripe-mock when installed, else the stateful MockStripe server."""
    port = free_port()
    base = f"http://{ctx.bind_host}:{port}"
    stripe_mock = shutil.which("stripe-mock")
    if stripe_mock:  # stateless fixtures; no health endpoint, so an open port is the readiness signal
        argv = [stripe_mock, "-http-addr", f"{ctx.bind_host}:{port}"]
        probes = [TcpOpen(port, ctx.bind_host)]
        info = ServiceInfo(NAME, "stripe-mock", binary_version([stripe_mock, "-version"], r"(\d+\.\d+\.\d+)"), "native")
        env = None
    else:
        argv = python_module_argv("harness.services.stripe.fake", "--host", ctx.bind_host, "--port", str(port))
        probes = [HttpStatus(f"{base}/_harness/events")]
        info = ServiceInfo(NAME, "kernia-test-utils MockStripe", mocks_version(), "native", True)
        env = python_env(dict(os.environ))
    return Launch(
        name=NAME,
        argv=argv,
        probes=probes,
        info=info,
        endpoints={"stripe_api_base": base},
        env=env,
        cwd=ctx.service_dir(NAME),
    )


def running_version(endpoints: Endpoints) -> str:
    """What the server says of itself: stripe-mock's Stripe-Mock-Version header, or the stand-in's."""
    response = httpx.get(
        f"{endpoints.stripe_api_base}/v1/customers",
        params={"limit": 1},
        headers={"Authorization": f"Bearer {TEST_KEY}"},
        timeout=5.0,
    )
    return response.headers.get("Stripe-Mock-Version") or response.headers.get(STAND_IN_VERSION_HEADER) or UNKNOWN


def endpoints(host: str, port: Mapping[int, int], env: Mapping[str, str]) -> dict[str, Any]:
    return {"stripe_api_base": f"http://{host}:{port[PORT]}"}


def container(compose: Mapping[str, Any], credentials: Credentials) -> ContainerRun:
    wait = HttpWait(PORT, "/v1/customers", (("Authorization", f"Bearer {TEST_KEY}"),))
    return ContainerRun(image_of(compose), wait=wait)


SERVICE = Service(
    name=NAME,
    plan=plan,
    external={"stripe_api_base": "HARNESS_STRIPE_API_BASE"},
    external_label="HARNESS_STRIPE_API_BASE",
    compose_name="stripe-mock",
    ports=(Port(PORT, "STRIPE_MOCK_PORT"),),
    endpoints=endpoints,
    container=container,
    compose_optional=True,
    version=running_version,
)
