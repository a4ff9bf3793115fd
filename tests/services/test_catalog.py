"""The service catalog: seven services, each container port written once, providers derived from it."""

from __future__ import annotations

import ast
from pathlib import Path

from harness.compose_cli import PORT_VARIABLES
from harness.providers.external import ENV_VARS
from harness.services.catalog import CONTAINER_NAMES as CONTAINERS
from harness.services.catalog import CONTAINER_SERVICES, SERVICES, report_name

HARNESS = Path(__file__).resolve().parents[2] / "harness"
CONTAINER_PORTS = (5432, 6379, 8200, 4566, 1025, 8025, 12111)


def test_the_seven_services_have_one_module_each() -> None:
    names = [service.name for service in SERVICES]
    assert names == ["postgres", "redis", "mail", "aws", "stripe", "vault", "oidc"]
    for name in names:
        assert (HARNESS / "services" / f"{name}.py").is_file() or (HARNESS / "services" / name).is_dir()


def test_each_container_port_is_written_in_exactly_one_module() -> None:
    found: dict[int, set[str]] = {port: set() for port in CONTAINER_PORTS}
    for path in HARNESS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in found and type(node.value) is int:
                found[node.value].add(str(path.relative_to(HARNESS)))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                for port in CONTAINER_PORTS:
                    if str(port) in node.value:
                        found[port].add(str(path.relative_to(HARNESS)))
    assert {port: len(modules) for port, modules in found.items()} == dict.fromkeys(CONTAINER_PORTS, 1), found


def test_providers_are_loops_over_the_catalog() -> None:
    for service in CONTAINER_SERVICES:
        for port in service.ports:
            assert PORT_VARIABLES[port.variable] == (service.compose_name, port.container)
        assert service.compose_name in CONTAINERS
    assert list(ENV_VARS.items()) == [item for service in SERVICES for item in service.external.items()]


def test_the_report_names_a_service_the_same_way_under_every_provider() -> None:
    assert [report_name(name) for name in CONTAINERS] == ["postgres", "redis", "mail", "aws", "stripe", "vault"]
    assert report_name("backend") == "backend"
