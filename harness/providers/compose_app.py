"""The app's services as containers of a compose run (``--option app=true``): what ``ComposeProvider.app_host``
returns to the deployment steps (harness.deploy.app_containers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from harness.commands import checked_output
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
        argv = self.cli.run_detached(service, sorted(env), publish=publish)
        return checked_output(argv, env={**self.env, **env}, timeout=600).splitlines()[-1]

    def address(self, container: str) -> str:
        template = f'{{{{(index .NetworkSettings.Networks "{self.network}").IPAddress}}}}'
        return checked_output(["docker", "inspect", "--format", template, container])

    def follow_logs(self, container: str) -> list[str]:
        return ["docker", "logs", "--follow", container]


def network_gateway(network: str) -> str:
    """The gateway address of a Docker network: the host's own address on that bridge."""
    template = "{{(index .IPAM.Config 0).Gateway}}"
    gateway = checked_output(["docker", "network", "inspect", "--format", template, network])
    if not gateway:
        raise ProviderError(f"Docker network {network} has no gateway address: is it a bridge network?")
    return gateway
