"""Versions read from the running services: each stand-in answers with its own version through its endpoint, the
report shows it, and a pin the running service contradicts is flagged (the negative controls)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from rich.console import Console

from harness.endpoints import Endpoints, ServiceInfo
from harness.ports import free_port
from harness.report import Report
from harness.services import catalog, mail, oidc, stripe
from harness.services.launch import Launch
from harness.services.versions import Observed, differs, observe, observe_one
from tests.helpers.records import ENDPOINTS

StartFn = Callable[..., Launch]


@pytest.mark.parametrize(
    ("pinned", "running", "flagged"),
    [
        ("18", "18.1", False),  # a major-only tag holds any minor
        ("18.1", "18.1", False),
        ("v1.21", "1.21.8", False),
        ("7.4-alpine", "7.4.2", False),
        ("4.14.0", "4.14.0", False),
        ("latest", "9.9", False),  # no numbers, no pin
        ("-", "1.0", False),  # the external provider pins nothing
        ("18", "17.6", True),  # negative controls: what a pin must catch
        ("7.4-alpine", "8.1.1", True),
        ("4.14.0", "4.14.1", True),
        ("v1.21", "1.2.1", True),
    ],
)
def test_a_running_version_differs_from_its_pin_only_where_the_pin_says(
    pinned: str, running: str, flagged: bool
) -> None:
    assert differs(pinned, running) is flagged


def test_every_stack_service_reads_its_version_from_the_running_service() -> None:
    assert {s.name for s in catalog.SERVICES if s.version} == {s.name for s in catalog.SERVICES}


@pytest.mark.parametrize("service", [mail.SERVICE, stripe.SERVICE, oidc.SERVICE], ids=lambda s: s.name)
def test_a_stand_in_answers_with_the_version_it_is_reported_as(start_native: StartFn, service: object) -> None:
    launch = start_native(service)
    endpoints = dataclasses.replace(ENDPOINTS, **launch.endpoints, services=(launch.info,))
    assert service.version is not None  # type: ignore[attr-defined]
    found = observe_one(launch.info, service.version, endpoints)  # type: ignore[attr-defined]
    assert found == Observed(launch.info.name, launch.info.version, launch.info.version)
    assert not found.differs

    pinned_elsewhere = dataclasses.replace(launch.info, version="0.0.1")  # negative control: a pin it contradicts
    flagged = observe(pinned_elsewhere, endpoints)
    assert flagged is not None and flagged.running == launch.info.version and flagged.differs
    assert flagged.describe() == f"{launch.info.name} runs {launch.info.version}, but 0.0.1 was pinned"


def test_a_service_that_cannot_be_asked_is_reported_not_raised() -> None:
    endpoints = dataclasses.replace(ENDPOINTS, mailpit_api_url=f"http://127.0.0.1:{free_port()}")
    info = ServiceInfo("mail", "Mailpit", "1.21.8", "external")
    found = observe_one(info, mail.running_version, endpoints)
    assert found.running is None and not found.differs
    assert found.note.startswith("could not ask it: ConnectError")


def test_the_report_shows_the_running_version_and_flags_a_mismatch(start_native: StartFn) -> None:
    launch = start_native(mail.SERVICE)
    mismatched = dataclasses.replace(launch.info, version="9.9.9")
    endpoints: Endpoints = dataclasses.replace(ENDPOINTS, **launch.endpoints, services=(launch.info, mismatched))
    report = Report(provider="native", project="/p")
    report.set_endpoints(endpoints)
    honest, flagged = report.services
    assert honest["running_version"] == launch.info.version and honest["version_differs"] is False
    assert flagged["running_version"] == launch.info.version and flagged["version_differs"] is True

    console = Console(record=True, width=200)
    report.render(console)
    text = console.export_text()
    assert f"WARNING: mail runs {launch.info.version}, but 9.9.9 was pinned" in text
    assert text.count("WARNING: mail runs") == 1  # the honest pin is not flagged
