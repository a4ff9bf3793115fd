"""The harness's use of the secret manager: KV v2 for the backend's secrets and a least-privilege token for it."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

import hvac

KV_MOUNT = "secret"


def generate_backend_secrets() -> dict[str, str]:
    """Fresh values for every secret the backend reads; generated here, stored in Vault, never printed."""
    return {
        "kernia_secret": secrets.token_urlsafe(48),
        "smtp_username": f"kernia-{secrets.token_hex(4)}",
        "smtp_password": secrets.token_urlsafe(24),
        "stripe_secret_key": f"sk_test_{secrets.token_hex(24)}",
        "stripe_webhook_secret": f"whsec_{secrets.token_hex(24)}",
        "ops_token": secrets.token_urlsafe(32),  # /metrics, /internal/routes, detailed /readyz
    }


@dataclass(frozen=True)
class VaultStore:
    """The backend's secrets at ``<mount>/<path>`` in a KV v2 engine."""

    addr: str
    token: str
    path: str
    mount: str = KV_MOUNT

    @property
    def client(self) -> hvac.Client:
        return hvac.Client(url=self.addr, token=self.token, timeout=10)

    def ensure_kv2(self) -> str:
        """Enable KV v2 at the mount unless it is there already; returns what was done."""
        mounts = self.client.sys.list_mounted_secrets_engines()
        mounts = mounts.get("data", mounts)
        existing = mounts.get(f"{self.mount}/")
        if existing is None:
            self.client.sys.enable_secrets_engine("kv", path=self.mount, options={"version": "2"})
            return f"enabled KV v2 at {self.mount}/"
        if (existing.get("options") or {}).get("version") != "2":
            self.client.sys.tune_mount_configuration(self.mount, options={"version": "2"})
            return f"upgraded {self.mount}/ to KV v2"
        return f"KV v2 already at {self.mount}/"

    def read(self, version: int | None = None) -> dict[str, str]:
        """The secret's values at ``version`` (latest by default); a destroyed version raises."""
        response = self.client.secrets.kv.v2.read_secret_version(
            path=self.path, mount_point=self.mount, version=version, raise_on_deleted_version=True
        )
        return dict(response["data"]["data"])

    def exists(self) -> bool:
        try:
            self.read()
        except hvac.exceptions.InvalidPath:
            return False
        return True

    def write(self, values: Mapping[str, str]) -> int:
        """Write a new version holding ``values``; returns the version number."""
        response = self.client.secrets.kv.v2.create_or_update_secret(
            path=self.path, secret=dict(values), mount_point=self.mount
        )
        return int(response["data"]["version"])

    def current_version(self) -> int:
        metadata = self.client.secrets.kv.v2.read_secret_metadata(path=self.path, mount_point=self.mount)
        return int(metadata["data"]["current_version"])

    def destroy_versions(self, versions: list[int]) -> None:
        """Destroy old secret versions for good, as the rotation drill's retirement does."""
        self.client.secrets.kv.v2.destroy_secret_versions(path=self.path, versions=versions, mount_point=self.mount)

    def backend_token(self, policy_name: str, ttl: str = "24h") -> str:
        """A token that can only read the backend's secrets: the backend never holds the root token."""
        policy = (
            f'path "{self.mount}/data/{self.path}" {{ capabilities = ["read"] }}\n'
            f'path "{self.mount}/metadata/{self.path}" {{ capabilities = ["read"] }}\n'
        )
        self.client.sys.create_or_update_policy(name=policy_name, policy=policy)
        created = self.client.auth.token.create(policies=[policy_name], ttl=ttl, renewable=True)
        return str(created["auth"]["client_token"])
