"""Step 3: run the project's backend as a real uvicorn server reading its secrets from Vault; ready when /readyz is."""

from __future__ import annotations

from harness.app import start_backend
from harness.deploy.context import Context
from harness.ports import LOCALHOST, free_port


def run(ctx: Context) -> str:
    """Step 3: start the deployed backend, pick the frontend's port, record the URLs later steps use."""
    ctx.deployment.setdefault("frontend_port", free_port())
    ctx.deployment["frontend_url"] = f"http://{LOCALHOST}:{ctx.deployment['frontend_port']}"
    record, url = start_backend(ctx)
    ctx.deployment["processes"] = {**ctx.deployment.get("processes", {}), "backend": record.to_dict()}
    ctx.deployment["backend_url"] = url
    ctx.deployment["auth_base_url"] = f"{url}{ctx.project.auth_path}"
    return f"uvicorn pid {record.pid} at {url}; /readyz ok; KERNIA_BASE_URL={ctx.deployment['auth_base_url']}"
