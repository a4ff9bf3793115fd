"""(filled by the abuse work in progress)"""

from __future__ import annotations

from kernia.types.plugin import KerniaPlugin

from ..plugin import hooks_plugin
from .deps import SecurityDeps


def plugin(deps: SecurityDeps) -> KerniaPlugin:
    return hooks_plugin("project-abuse")
