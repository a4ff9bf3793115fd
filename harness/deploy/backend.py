"""Step 3: run the project's backend as a real uvicorn server reading its secrets from Vault; ready when /readyz is."""

from __future__ import annotations

from harness.app import start_backend
from harness.deploy import app_containers
from harness.deploy.context import Context
from harness.ports import LOCALHOST, free_port


def run(ctx: Context) -> str:
    """Step 3: start the deployed backend, pick the frontend's port, record the URLs later steps use."""
    deployment = ctx.deployment
    if deployment.frontend_port is None:
        deployment.frontend_port = free_port()
    deployment.frontend_url = f"http://{LOCALHOST}:{deployment.frontend_port}"
    if ctx.app_host is None:
        record, url = start_backend(ctx)
        records, how = {"backend": record}, f"uvicorn pid {record.pid}"
    else:
        records, url = app_containers.start_backend(ctx, ctx.app_host)
        how = "container behind the ingress"
    started = {name: record.to_dict() for name, record in records.items()}
    deployment.processes = {**(deployment.processes or {}), **started}
    deployment.backend_url = url
    deployment.auth_base_url = f"{url}{ctx.project.auth_path}"
    return f"{how} at {url}; /readyz ok; KERNIA_BASE_URL={deployment.auth_base_url}"
