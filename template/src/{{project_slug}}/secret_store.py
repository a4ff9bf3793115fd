"""Secrets for the backend: from Vault KV v2 when VAULT_ADDR is set, else from the environment (dev/tests).

Vault keeps versions of the secret document. The current version's ``kernia_secret`` signs cookies; the
previous version's ``kernia_secret`` is still *accepted* (see ``rotation.py``) while that version exists in
Vault, i.e. is neither deleted nor destroyed, and KERNIA_SECRET_GRACE is true. Values never reach logs:
they are held in ``SecretStr`` and errors only name the missing keys.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from .settings import Settings

log = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 32


class SecretsError(RuntimeError):
    """The backend must not start: a secret is missing or too weak (the message never holds a value)."""


@dataclass(frozen=True)
class Secrets:
    kernia_secret: SecretStr
    previous_kernia_secrets: tuple[SecretStr, ...] = ()
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    stripe_secret_key: SecretStr = field(default_factory=lambda: SecretStr(""))
    stripe_webhook_secret: SecretStr = field(default_factory=lambda: SecretStr(""))
    ops_token: SecretStr | None = None  # bearer token for /metrics, /internal/routes and detailed /readyz
    source: str = "environment"
    version: int | None = None


def load_secrets(settings: Settings, *, vault_client: Callable[..., Any] | None = None) -> Secrets:
    """Read the secrets the app needs and validate them; raise ``SecretsError`` with a clear message."""
    if settings.vault_addr:
        secrets = _from_vault(settings, vault_client or _hvac_client)
    else:
        secrets = _from_environment(settings)
    _validate(secrets)
    log.info(
        "secrets loaded from %s (version %s, %d previous signing secret(s) accepted)",
        secrets.source,
        secrets.version,
        len(secrets.previous_kernia_secrets),
    )
    return secrets


def _hvac_client(url: str, token: str) -> Any:
    import hvac

    return hvac.Client(url=url, token=token)


def _from_environment(settings: Settings) -> Secrets:
    return Secrets(
        kernia_secret=settings.kernia_secret or SecretStr(""),
        smtp_username=settings.smtp_username,
        smtp_password=settings.smtp_password,
        stripe_secret_key=settings.stripe_secret_key or SecretStr(""),
        stripe_webhook_secret=settings.stripe_webhook_secret or SecretStr(""),
        ops_token=settings.ops_token,
    )


def _from_vault(settings: Settings, factory: Callable[..., Any]) -> Secrets:
    token = settings.vault_token.get_secret_value() if settings.vault_token else ""
    if not token:
        raise SecretsError("VAULT_ADDR is set but VAULT_TOKEN is empty")
    kv = factory(url=settings.vault_addr, token=token).secrets.kv.v2
    where = f"{settings.vault_kv_mount}/{settings.vault_secret_path}"
    try:
        current = kv.read_secret_version(
            path=settings.vault_secret_path,
            mount_point=settings.vault_kv_mount,
            raise_on_deleted_version=True,
        )
    except Exception as exc:  # hvac raises InvalidPath / Forbidden / connection errors
        raise SecretsError(f"cannot read Vault secret {where}: {type(exc).__name__}") from None
    data: Mapping[str, Any] = current["data"]["data"]
    version = int(current["data"]["metadata"]["version"])
    previous = _previous_kernia_secrets(settings, kv, version, data.get("kernia_secret"))
    return Secrets(
        kernia_secret=SecretStr(str(data.get("kernia_secret") or "")),
        previous_kernia_secrets=previous,
        smtp_username=data.get("smtp_username") or None,
        smtp_password=SecretStr(data["smtp_password"]) if data.get("smtp_password") else None,
        stripe_secret_key=SecretStr(str(data.get("stripe_secret_key") or "")),
        stripe_webhook_secret=SecretStr(str(data.get("stripe_webhook_secret") or "")),
        ops_token=SecretStr(data["ops_token"]) if data.get("ops_token") else None,
        source=f"vault {where}",
        version=version,
    )


def _previous_kernia_secrets(
    settings: Settings, kv: Any, version: int, current_secret: object
) -> tuple[SecretStr, ...]:
    """The grace-period secret: ``kernia_secret`` of version N-1 while it is still live in Vault."""
    if not settings.kernia_secret_grace or version <= 1:
        return ()
    metadata = kv.read_secret_metadata(path=settings.vault_secret_path, mount_point=settings.vault_kv_mount)
    info = metadata["data"]["versions"].get(str(version - 1))
    if not info or info.get("destroyed") or info.get("deletion_time"):
        return ()
    old = kv.read_secret_version(
        path=settings.vault_secret_path,
        mount_point=settings.vault_kv_mount,
        version=version - 1,
        raise_on_deleted_version=True,
    )
    old_secret = old["data"]["data"].get("kernia_secret")
    if not old_secret or old_secret == current_secret or len(str(old_secret)) < MIN_SECRET_LENGTH:
        return ()
    return (SecretStr(str(old_secret)),)


def _validate(secrets: Secrets) -> None:
    value = secrets.kernia_secret.get_secret_value()
    if not value:
        raise SecretsError(
            f"KERNIA_SECRET is missing (source: {secrets.source}); set kernia_secret in Vault "
            f"or KERNIA_SECRET (at least {MIN_SECRET_LENGTH} characters) for development"
        )
    if len(value) < MIN_SECRET_LENGTH:
        raise SecretsError(
            f"KERNIA_SECRET is too short ({len(value)} characters, source: {secrets.source}); "
            f"use at least {MIN_SECRET_LENGTH} random characters"
        )
