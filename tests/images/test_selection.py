"""harness.images: stand-in names, and the choice upstream > stand-in > upstream reference (pull error)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from harness.images import STAND_IN_LABEL, ImageChoice, choose, repository_and_tag, stand_in_ref
from tests.helpers.engine import Engine, docker_cli


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("postgres:18.6-alpine", ("postgres", "18.6-alpine")),
        ("docker.io/library/postgres:17.11-alpine", ("postgres", "17.11-alpine")),
        ("axllent/mailpit:v1.31.1", ("axllent/mailpit", "v1.31.1")),
        ("registry.local:5000/team/app", ("registry.local:5000/team/app", "latest")),
    ],
)
def test_repository_and_tag(ref: str, expected: tuple[str, str]) -> None:
    assert repository_and_tag(ref) == expected


def test_stand_in_keeps_the_upstream_path_and_tag_under_its_own_namespace() -> None:
    assert stand_in_ref("postgres:18.6-alpine") == "kernia-stand-in/postgres:18.6-alpine"
    assert stand_in_ref("hashicorp/vault:1.21.4") == "kernia-stand-in/hashicorp/vault:1.21.4"


def fake_docker(tmp_path: Path, images: dict[str, dict[str, str]]) -> str:
    """A `docker` that knows only ``images`` (ref -> labels) for `docker image inspect`."""
    script = tmp_path / "docker"
    table = json.dumps({ref: json.dumps(labels) for ref, labels in images.items()})
    script.write_text(
        f"#!/usr/bin/env python3\nimport json, sys\nimages = json.loads({table!r})\n"
        "ref = sys.argv[-1]\nif ref not in images:\n    sys.exit(1)\nprint(images[ref])\n"
    )
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        ({}, ImageChoice("redis:7", "redis:7", False)),
        (
            {"kernia-stand-in/redis:7": {STAND_IN_LABEL: "true"}},
            ImageChoice("redis:7", "kernia-stand-in/redis:7", True),
        ),
        ({"kernia-stand-in/redis:7": {}}, ImageChoice("redis:7", "redis:7", False)),  # not ours: never run
        (
            {"redis:7": {}, "kernia-stand-in/redis:7": {STAND_IN_LABEL: "true"}},
            ImageChoice("redis:7", "redis:7", False),
        ),
    ],
    ids=["nothing-local", "stand-in-only", "unlabelled-lookalike", "upstream-wins"],
)
def test_choice_order(tmp_path: Path, present: dict[str, dict[str, str]], expected: ImageChoice) -> None:
    assert choose("redis:7", docker=fake_docker(tmp_path, present)) == expected


def test_engine_prefers_an_upstream_image_when_present(eng: Engine, stand_ins: None, tmp_path: Path) -> None:
    """With a throwaway upstream-named tag: absent -> upstream ref; stand-in only -> stand-in; both -> upstream."""
    upstream = f"kernia-images-test/redis:{uuid.uuid4().hex[:8]}"
    assert choose(upstream) == ImageChoice(upstream, upstream, False)

    stand_in = stand_in_ref(upstream)
    docker_cli("tag", "kernia-stand-in/redis:7.4.11-alpine", stand_in)
    eng.tags.append(stand_in)
    assert choose(upstream) == ImageChoice(upstream, stand_in, True)

    empty = tmp_path / "empty.tar"
    docker_cli(
        "run",
        "--rm",
        "-v",
        f"{tmp_path}:/out",
        "kernia-stand-in/base:bookworm",
        "tar",
        "-cf",
        "/out/empty.tar",
        "-T",
        "/dev/null",
    )
    docker_cli("import", str(empty), upstream)  # an image without labels: what a pulled upstream image looks like here
    eng.tags.append(upstream)
    assert choose(upstream) == ImageChoice(upstream, upstream, False)
