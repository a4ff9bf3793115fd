"""Old import path, kept until the branches that still import it are merged: use ``harness.app`` (start_backend,
run_manage, backend_env) and ``harness.deploy.backend`` (the step)."""

from harness.app import backend_env, run_manage, start_backend
from harness.deploy.backend import run
from harness.ports import LOCALHOST as HOST

__all__ = ["HOST", "backend_env", "run", "run_manage", "start_backend"]
