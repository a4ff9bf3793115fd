"""Step 5's frontend process: a port another process holds is named, instead of checking that process's pages."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

from harness.deploy import frontend
from harness.deploy.context import StepFailed
from harness.ports import LOCALHOST


def test_a_frontend_port_held_by_another_process_is_named() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind((LOCALHOST, 0))
        holder.listen()
        port = holder.getsockname()[1]
        ctx = SimpleNamespace(deployment=SimpleNamespace(frontend_port=port))
        with pytest.raises(StepFailed, match=f"port {LOCALHOST}:{port} is held by another process"):
            frontend._start_process(ctx, f"http://{LOCALHOST}:{port}", "http://x/api/auth")  # type: ignore[arg-type]
