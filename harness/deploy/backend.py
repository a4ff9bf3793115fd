"""Step 3: run the project's backend as a real uvicorn server reading its secrets from Vault; ready when /readyz is."""

from __future__ import annotations

from harness.app import start_backend
from harness.deploy.context import Context
from harness.ports import LOCALHOST, free_port


def run(ctx: Context) -> str:
    """Step 3: start the deployed backend, pick the frontend's port, record the URLs later steps use."""
    deployment = ctx.deployment
    if deployment.frontend_port is None:
        deployment.frontend_port = free_port()
    deployment.frontend_url = f"http://{LOCALHOST}:{deployment.frontend_port}"
    record, url = start_backend(ctx)
    deployment.processes = {**(deployment.processes or {}), "backend": record.to_dict()}
    deployment.backend_url = url
    deployment.auth_base_url = f"{url}{ctx.project.auth_path}"
    return f"uvicorn pid {record.pid} at {url}; /readyz ok; KERNIA_BASE_URL={deployment.auth_base_url}"
