"""Which image to run for an upstream reference: the upstream image, else the local stand-in.

No registry is reachable on the machines this project is tested on, so ``nox -s images`` builds local
stand-ins (tests/images/) named ``kernia-stand-in/<upstream repository>:<upstream tag>`` and labelled
``org.kernia-harness.stand-in=true``. A stand-in never takes an upstream name, so a real upstream image on
the machine is never replaced or shadowed: it is always preferred. When neither exists the upstream
reference is returned unchanged, and compose/testcontainers fail with their own pull error.

This module uses the ``docker`` CLI, not the docker SDK: the CLI resolves the active Docker context
(``docker context use``) exactly as ``docker-compose`` does, so both always look at the same engine, and
the lookup adds no dependency. Low level on purpose: it imports nothing from the rest of the harness.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

STAND_IN_REGISTRY = "kernia-stand-in"
STAND_IN_LABEL = "org.kernia-harness.stand-in"
UPSTREAM_LABEL = "org.kernia-harness.upstream"
HASH_LABEL = "org.kernia-harness.input-hash"


@dataclass(frozen=True)
class ImageChoice:
    """The reference to run for ``upstream``; ``stand_in`` says the report must call it a stand-in image."""

    upstream: str
    ref: str
    stand_in: bool


def repository_and_tag(ref: str) -> tuple[str, str]:
    """('postgres', '18.6-alpine') from 'postgres:18.6-alpine' or 'docker.io/library/postgres:18.6-alpine'."""
    name, _, tag = ref.rpartition(":")
    if not name or "/" in tag:  # no tag, or the colon belonged to a registry port
        name, tag = ref, "latest"
    for prefix in ("docker.io/", "index.docker.io/", "library/"):
        name = name.removeprefix(prefix)
    return name, tag


def stand_in_ref(upstream: str) -> str:
    """'kernia-stand-in/axllent/mailpit:v1.31.1' for 'axllent/mailpit:v1.31.1' (same path, same tag)."""
    name, tag = repository_and_tag(upstream)
    return f"{STAND_IN_REGISTRY}/{name}:{tag}"


def image_labels(ref: str, *, docker: str = "docker") -> dict[str, str] | None:
    """The labels of local image ``ref`` ({} when it has none), or None when the engine has no such image."""
    result = subprocess.run(
        [docker, "image", "inspect", "--format", "{{json .Config.Labels}}", ref],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if result.returncode != 0:
        return None
    return json.loads(result.stdout or "null") or {}


def choose(upstream: str, *, docker: str = "docker") -> ImageChoice:
    """The upstream image when present locally, else its stand-in when built, else the upstream reference."""
    labels = image_labels(upstream, docker=docker)
    if labels is not None:
        return ImageChoice(upstream, upstream, labels.get(STAND_IN_LABEL) == "true")
    candidate = stand_in_ref(upstream)
    labels = image_labels(candidate, docker=docker)
    if labels is not None and labels.get(STAND_IN_LABEL) == "true":
        return ImageChoice(upstream, candidate, True)
    return ImageChoice(upstream, upstream, False)
