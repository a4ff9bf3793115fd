"""The app's services as containers of a compose run (``--option app=true``): what ``ComposeProvider.app_host``
returns to the deployment steps (harness.deploy.app_containers)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.compose_cli import PORT_VARIABLES, ComposeCLI
from harness.errors import ProviderError
from harness.ports import LOCALHOST


@dataclass(frozen=True)
class ComposeAppHost:
    """Runs `compose run --detach --no-deps` of the project's own services (built from its Dockerfile)."""

    cli: ComposeCLI
    env: Mapping[str, str]  # compose's interpolation variables of the run (the published ports)
    network: str
    gateway: str

    def inside(self, env: Mapping[str, str]) -> dict[str, str]:
        """Values naming a published host address (``127.0.0.1:PORT``, also as a ``X_HOST``/``X_PORT`` pair) name
        the service and its container port instead; the rest (the sidecars on the gateway, public URLs) is kept."""
        services = {
            f"{LOCALHOST}:{self.env[variable]}": f"{service}:{target}"
            for variable, (service, target) in PORT_VARIABLES.items()
            if variable in self.env
        }
        moved = dict(env)
        for key, value in env.items():
            for host_address, service_address in services.items():
                value = value.replace(host_address, service_address)
            moved[key] = value
        for key in [key.removesuffix("_HOST") for key in env if key.endswith("_HOST") and f"{key[:-5]}_PORT" in env]:
            address = services.get(f"{env[f'{key}_HOST']}:{env[f'{key}_PORT']}")
            if address:
                moved[f"{key}_HOST"], moved[f"{key}_PORT"] = address.split(":")
        return moved

    def run(self, service: str, env: Mapping[str, str], *, publish: str = "") -> str:
        result = self._run(self.cli.run_detached(service, sorted(env), publish=publish), env)
        return result.stdout.strip().splitlines()[-1]

    def address(self, container: str) -> str:
        template = f'{{{{(index .NetworkSettings.Networks "{self.network}").IPAddress}}}}'
        return self._run(["docker", "inspect", "--format", template, container], {}).stdout.strip()

    def follow_logs(self, container: str) -> list[str]:
        return ["docker", "logs", "--follow", container]

    def _run(self, argv: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            list(argv), env={**os.environ, **self.env, **env}, capture_output=True, text=True, timeout=600, check=False
        )
        if result.returncode != 0:
            raise ProviderError(f"`{' '.join(argv)}` failed: {(result.stderr or result.stdout).strip()}")
        return result


def network_gateway(network: str) -> str:
    """The gateway address of a Docker network: the host's own address on that bridge."""
    argv = ["docker", "network", "inspect", "--format", "{{(index .IPAM.Config 0).Gateway}}", network]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0 or not result.stdout.strip():
        raise ProviderError(f"`{' '.join(argv)}` failed: {(result.stderr or result.stdout).strip()}")
    return result.stdout.strip()
