"""Compose healthchecks in Docker's form, and the diagnosis of a container that never turns healthy."""

from __future__ import annotations

from typing import Any

import pytest

from harness.providers.docker_health import Healthcheck, NotHealthy, diagnosis, duration_ns, wait_healthy
from tests.helpers.engine import require_engine, require_images


def test_durations() -> None:
    assert duration_ns("10s") == 10 * 10**9
    assert duration_ns("1m30s") == 90 * 10**9
    assert duration_ns("500ms") == 5 * 10**8
    assert duration_ns(2) == 2 * 10**9
    with pytest.raises(ValueError, match="not a compose duration: '10 seconds'"):
        duration_ns("10 seconds")


def test_from_compose_forms() -> None:
    assert Healthcheck.from_compose({}) is None
    assert Healthcheck.from_compose({"healthcheck": {"disable": True, "test": ["NONE"]}}) is None
    check = Healthcheck.from_compose({"healthcheck": {"test": "redis-cli ping | grep -q PONG", "interval": "5s"}})
    assert check == Healthcheck(("CMD-SHELL", "redis-cli ping | grep -q PONG"), 5 * 10**9, 30 * 10**9, 3, 0)
    assert check.describe() == "redis-cli ping | grep -q PONG"
    assert check.to_docker()["test"] == ["CMD-SHELL", "redis-cli ping | grep -q PONG"]


class FakeContainer:
    """docker-py's Container, as far as wait_healthy and diagnosis read it: a state that moves on each reload."""

    def __init__(self, states: list[dict[str, Any]]) -> None:
        self.states = states
        self.attrs: dict[str, Any] = {"Config": {"Entrypoint": ["docker-entrypoint.sh"], "Cmd": ["redis-server"]}}

    def reload(self) -> None:
        self.attrs["State"] = self.states.pop(0) if len(self.states) > 1 else self.states[0]

    def logs(self) -> bytes:
        return b"".join(f"line {n}\n".encode() for n in range(100))


CHECK = Healthcheck(("CMD-SHELL", "redis-cli -h 127.0.0.1 ping | grep -q PONG"), 10**9, 10**9, 5, 0)


def test_waits_until_healthy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.providers.docker_health.POLL_SECONDS", 0)
    starting = {"Status": "running", "Health": {"Status": "starting"}}
    container = FakeContainer([starting, starting, {"Status": "running", "Health": {"Status": "healthy"}}])
    wait_healthy(container, CHECK, timeout=5)  # type: ignore[arg-type]
    assert container.attrs["State"]["Health"]["Status"] == "healthy"


def test_an_unhealthy_container_is_named_with_its_check_command_and_log() -> None:
    probe = {"ExitCode": 1, "Output": "Could not connect to Redis at 127.0.0.1:6379: Connection refused\n"}
    state = {"Status": "running", "Health": {"Status": "unhealthy", "Log": [probe]}}
    with pytest.raises(NotHealthy) as raised:
        wait_healthy(FakeContainer([state]), CHECK, timeout=5)  # type: ignore[arg-type]
    message = str(raised.value)
    assert message.startswith("is unhealthy (5 failed checks in a row)")
    assert "healthcheck: redis-cli -h 127.0.0.1 ping | grep -q PONG" in message
    assert "its last run exited 1: Could not connect to Redis" in message
    assert "command: docker-entrypoint.sh redis-server" in message
    assert "    line 99" in message and "    line 70" in message and "line 69\n" not in message


def test_an_exited_container_is_not_waited_for() -> None:
    with pytest.raises(NotHealthy, match="exited with code 3"):
        wait_healthy(FakeContainer([{"Status": "exited", "ExitCode": 3}]), CHECK, timeout=60)  # type: ignore[arg-type]


def test_a_slow_container_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.providers.docker_health.POLL_SECONDS", 0)
    state = {"Status": "running", "Health": {"Status": "starting"}}
    with pytest.raises(NotHealthy, match="is not healthy after 0 s"):
        wait_healthy(FakeContainer([state]), CHECK, timeout=0.01)  # type: ignore[arg-type]


def test_diagnosis_without_a_healthcheck_or_log() -> None:
    container = FakeContainer([{"Status": "created"}])
    container.reload()
    container.attrs["Config"] = {}
    container.logs = lambda: b""  # type: ignore[method-assign]
    assert diagnosis(container, None, "did not start") == (  # type: ignore[arg-type]
        "did not start\n  command: (the image default)\n  last 30 log lines:\n    (no log output)"
    )


BASE_IMAGE = "kernia-stand-in/base:bookworm"  # any image with sh and sleep; `nox -s images` builds this one


@pytest.mark.parametrize(("exit_code", "healthy"), [(0, True), (1, False)])
def test_against_the_engine(exit_code: int, healthy: bool) -> None:
    """The same wait on a real container, whose check passes or fails: Docker's health, not a fake's."""
    client = require_engine()
    require_images(BASE_IMAGE)
    check = Healthcheck(("CMD-SHELL", f"echo probe-says-{exit_code}; exit {exit_code}"), 2 * 10**8, 10**9, 2, 0)
    container = client.containers.run(
        BASE_IMAGE,
        ["sh", "-c", "echo started; exec sleep 60"],
        detach=True,
        labels={"org.kernia-harness.test": "tc"},
        healthcheck=check.to_docker(),
    )
    try:
        if healthy:
            wait_healthy(container, check, timeout=30)
        else:
            with pytest.raises(NotHealthy) as raised:
                wait_healthy(container, check, timeout=30)
            assert "is unhealthy (2 failed checks in a row)" in str(raised.value)
            assert "its last run exited 1: probe-says-1" in str(raised.value)
            assert "command: sh -c 'echo started; exec sleep 60'" in str(raised.value)
            assert "    started" in str(raised.value)
    finally:
        container.remove(force=True, v=True)
