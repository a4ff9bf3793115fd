"""Build the stand-in images into the local engine: ``nox -s images`` (or ``python -m tests.images.build``).

The base is a Debian rootfs from ``mmdebstrap --variant=minbase`` (run on the host, which reaches Debian's
archive) imported with ``docker import``; every stand-in is then a ``docker build --network none``, so no
build step can fetch anything. Each image carries the hash of its inputs as a label and is rebuilt only when
that hash changes (the parent's image id is one of the inputs, so a new base rebuilds its children).
Host files too large to read on every run (CPython prefixes, venvs, wheelhouse) are fingerprinted by path,
mode, size and mtime; the image folders here and the downloaded wheels by content.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from harness.images import HASH_LABEL, STAND_IN_LABEL, UPSTREAM_LABEL, image_labels
from tests.images.recipes import BASE_REF, HERE, MIRROR, PACKAGES, RECIPES, SUITE, Recipe

BY_CONTENT_LIMIT = 64 * 1024 * 1024  # larger files are fingerprinted by their stat, not read


def fingerprint(path: Path, digest: hashlib._Hash | None = None) -> hashlib._Hash:
    """Fold ``path`` (file, symlink or tree) into ``digest``: names, modes, link targets, contents."""
    digest = digest or hashlib.sha256()
    entries = [path] if not path.is_dir() or path.is_symlink() else sorted(path.rglob("*"))
    for entry in entries:
        info = entry.lstat()
        digest.update(f"{entry.relative_to(path) if entry != path else '.'}\0{info.st_mode}\0".encode())
        if entry.is_symlink():
            digest.update(os.readlink(entry).encode())
        elif entry.is_file():
            if path.is_dir() and not _small_source(entry, info.st_size):
                digest.update(f"{info.st_size}:{info.st_mtime_ns}".encode())
            else:
                with entry.open("rb") as handle:
                    digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest


def _small_source(entry: Path, size: int) -> bool:
    return size <= BY_CONTENT_LIMIT and HERE.parent.parent in entry.parents


def input_hash(recipe: Recipe, parent_id: str, inputs: Mapping[str, Path]) -> str:
    digest = hashlib.sha256(f"{recipe.ref}\0{parent_id}\0{sorted(recipe.build_args.items())}".encode())
    fingerprint(HERE / recipe.folder, digest)
    for name, path in sorted(inputs.items()):
        digest.update(name.encode())
        fingerprint(path, digest)
    return digest.hexdigest()


def docker(args: list[str], env: Mapping[str, str] | None = None) -> None:
    """Run a docker command quietly; on failure show its whole output (the build log) and stop."""
    result = subprocess.run(["docker", *args], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"images: `docker {args[0]}` failed (exit {result.returncode}), output above")


def image_id(ref: str) -> str:
    return subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", ref], capture_output=True, text=True, check=True
    ).stdout.strip()


def up_to_date(ref: str, wanted: str) -> bool:
    labels = image_labels(ref)
    return labels is not None and labels.get(HASH_LABEL) == wanted


def label_args(upstream: str, wanted: str, flag: str) -> list[str]:
    labels = {STAND_IN_LABEL: "true", UPSTREAM_LABEL: upstream, HASH_LABEL: wanted}
    return [arg for key, value in labels.items() for arg in (flag, f"{key}={value}")]


def build_base() -> bool:
    """The shared Debian rootfs image; True when it was (re)built."""
    wanted = hashlib.sha256(repr((SUITE, MIRROR, PACKAGES, "minbase")).encode()).hexdigest()
    if up_to_date(BASE_REF, wanted):
        return False
    with tempfile.TemporaryDirectory(prefix="kernia-images-", dir="/var/tmp") as tmp:
        rootfs = Path(tmp) / "rootfs.tar"
        include = f"--include={','.join(PACKAGES)}"
        subprocess.run(["mmdebstrap", "--quiet", "--variant=minbase", include, SUITE, str(rootfs), MIRROR], check=True)
        changes = label_args(f"debian:{SUITE}-minbase", wanted, "--change")
        changes = [a if a == "--change" else f"LABEL {a}" for a in changes]
        docker(["import", *changes, "--change", 'CMD ["bash"]', str(rootfs), BASE_REF])
    return True


def stage(recipe: Recipe, inputs: Mapping[str, Path], context: Path) -> None:
    """The build context: the recipe's folder plus its host inputs, hard-linked where possible."""
    shutil.copytree(HERE / recipe.folder, context, dirs_exist_ok=True)
    for name, path in inputs.items():
        if path.is_dir():
            shutil.copytree(path, context / name, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(path), str(context / name))


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def build_image(recipe: Recipe) -> bool:
    """Build ``recipe`` unless its labelled input hash is current; True when it was built."""
    parent = BASE_REF if recipe.parent == "base" else next(r.ref for r in RECIPES if r.upstream == recipe.parent)
    inputs = recipe.inputs()
    wanted = input_hash(recipe, image_id(parent), inputs)
    if up_to_date(recipe.ref, wanted):
        return False
    with tempfile.TemporaryDirectory(prefix="kernia-images-", dir="/var/tmp") as tmp:
        context = Path(tmp) / "context"
        stage(recipe, inputs, context)
        args = [f"--build-arg={k}={v}" for k, v in {"BASE": parent, **recipe.build_args}.items()]
        labels = label_args(recipe.upstream, wanted, "--label")
        docker(
            ["build", "--network", "none", *args, *labels, "--tag", recipe.ref, str(context)],
            env={**os.environ, "DOCKER_BUILDKIT": "0"},  # the engine's own builder: no buildx plugin needed
        )
    return True


def selected(names: Iterable[str]) -> list[Recipe]:
    wanted = set(names)
    chosen = [r for r in RECIPES if not wanted or r.name in wanted or r.folder in wanted]
    if wanted and not chosen:
        raise SystemExit(f"images: no image matches {sorted(wanted)}; known: {[r.name for r in RECIPES]}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="image folders or names (default: all), e.g. postgres redis")
    args = parser.parse_args(argv)
    started = time.monotonic()
    steps: list[tuple[str, Recipe | None]] = [(BASE_REF, None)] + [(r.ref, r) for r in selected(args.only)]
    for ref, recipe in steps:
        began = time.monotonic()
        print(f"images: {ref} ...", flush=True)
        built = build_base() if recipe is None else build_image(recipe)
        state = f"built in {time.monotonic() - began:.1f} s" if built else "up to date (input hash unchanged)"
        print(f"images: {ref} {state}", flush=True)
    print(f"images: {len(steps)} images ready in {time.monotonic() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
