"""(filled by the tenancy work in progress)"""

from __future__ import annotations

from typing import Any

from kernia.types.plugin import KerniaPlugin
from kernia_scim import SCIMOptions

from ..plugin import hooks_plugin
from .deps import SecurityDeps


def plugin(deps: SecurityDeps) -> KerniaPlugin:
    return hooks_plugin("project-tenancy")


def scim_options() -> SCIMOptions:
    return SCIMOptions(store_scim_token="hashed")


def sso_callbacks() -> dict[str, Any]:
    return {}
