"""The stand-in builder: recipes cover every pinned image, labels, and the input-hash cache."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import pytest

from harness.images import HASH_LABEL, STAND_IN_LABEL, UPSTREAM_LABEL, image_labels
from tests.helpers.engine import Engine
from tests.images import build
from tests.images.recipes import RECIPES, Recipe

ROOT = Path(__file__).resolve().parents[2]


def pinned_images() -> set[str]:
    """Every upstream image compose/*.yaml pins (both PostgreSQL majors, whose tags are a Jinja mapping
    {17: "17.x", 18: "18.x"} in compose/postgres.yaml or copier.yml) and the Dockerfile's Python base."""
    found: set[str] = set()
    for path in [*(ROOT / "compose").glob("*.yaml"), ROOT / "copier.yml"]:
        text = path.read_text()
        found |= {m for m in re.findall(r"(?m)^\s*image:\s*(\S+)\s*$", text) if "{{" not in m}
        for tag in re.findall(r"""\d+: ["'](\d+\.\d+)["']""", text):
            found.add(f"postgres:{tag}-alpine")
    dockerfile = (ROOT / "template" / "Dockerfile.jinja").read_text()
    found |= {f"python:{v}-slim" for v in re.findall(r"ARG PYTHON_IMAGE=python:(\S+)-slim", dockerfile)}
    return {ref.replace("{{ python_version }}", "3.12") for ref in found}


def test_every_pinned_image_has_a_stand_in_recipe() -> None:
    pinned = pinned_images()
    assert pinned <= {r.upstream for r in RECIPES}
    assert {ref.split(":")[1].split(".")[0] for ref in pinned if ref.startswith("postgres:")} == {"17", "18"}


def test_fingerprint_follows_content_and_mode(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("one")
    first = build.fingerprint(tmp_path).hexdigest()
    assert build.fingerprint(tmp_path).hexdigest() == first
    (tmp_path / "a").chmod(0o755)
    second = build.fingerprint(tmp_path).hexdigest()
    assert second != first
    (tmp_path / "b").symlink_to("a")
    assert build.fingerprint(tmp_path).hexdigest() != second


@pytest.mark.slow
@pytest.mark.xdist_group("images")
def test_every_stand_in_is_labelled(stand_ins: None) -> None:
    for recipe in RECIPES:
        labels = image_labels(recipe.ref)
        assert labels is not None, recipe.ref
        assert labels[STAND_IN_LABEL] == "true"
        assert labels[UPSTREAM_LABEL] == recipe.upstream
        assert len(labels[HASH_LABEL]) == 64


@pytest.mark.slow
@pytest.mark.xdist_group("images")
def test_rebuilds_only_when_an_input_changes(eng: Engine, stand_ins: None, tmp_path: Path) -> None:
    folder = tmp_path / "ctx"
    shutil.copytree(Path(build.HERE) / "redis-unhealthy", folder)
    recipe = Recipe(f"kernia-images-test/cache:{uuid.uuid4().hex[:8]}", str(folder), parent="redis:7.4.11-alpine")
    eng.tags.append(recipe.ref)
    assert build.build_image(recipe) is True
    assert build.build_image(recipe) is False  # unchanged inputs: skipped
    (folder / "redis-cli").write_text("#!/bin/sh\nexit 2\n")
    assert build.build_image(recipe) is True
    assert build.main([]) == 0  # the whole set: all current
