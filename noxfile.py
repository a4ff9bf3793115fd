"""Developer and CI entry points: `nox -s demo`, `nox -s tests`, `nox -s lint`, `nox -s benchmark`, `nox -s images`."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "tests"]

ROOT = Path(__file__).parent
PYTHON = "3.11"
DEMO_DIR = ROOT / ".demo" / "demo-auth"


def render(session: nox.Session, dest: Path, *answers: str, installing: bool = False) -> None:
    """Render the template from this working tree (uncommitted changes included); ``installing``: also under
    ``--install-only``, where the render is what the install reads."""
    args = ["copier", "copy", "--trust", "--defaults", "--overwrite", "--vcs-ref", "HEAD", "--quiet"]
    for answer in ("project_name=Demo Auth", *answers):
        args += ["--data", answer]
    (session.run_install if installing else session.run)(*args, str(ROOT), str(dest))


def install(session: nox.Session) -> None:
    """The harness with its dev tools, plus the rendered backend's own dependencies (read from its pyproject)."""
    session.install("-e", ".", "--group", "dev")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "deps"
        render(session, project, "with_sms=true", "with_object_storage=true", "with_queue=true", installing=True)
        session.install("-r", str(project / "pyproject.toml"), "--group", str(project / "pyproject.toml:dev"))


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The repository's whole suite: template renders, native rehearsal end to end, providers, drills; where a Docker
    engine answers, the stand-in images first (cached), so every container test finds its images."""
    install(session)
    if shutil.which("docker") and subprocess.run(["docker", "info"], capture_output=True).returncode == 0:
        session.run("python", "-m", "tests.images.build")
    session.run("pytest", "-n", "2", "--dist", "loadgroup", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the repository (the template is linted as rendered, in tests)."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """Render a demo project into .demo/demo-auth and rehearse it on native services (no Docker)."""
    install(session)
    render(session, DEMO_DIR)
    session.run(
        "harness",
        "--project",
        str(DEMO_DIR),
        "rehearse",
        "--provider",
        "native",
        "--report",
        str(DEMO_DIR.parent / "report.json"),
        *session.posargs,
    )


@nox.session(python=PYTHON)
def benchmark(session: nox.Session) -> None:
    """Cold and warm native stack start and full rehearsal wall time, broken down by service and step."""
    install(session)
    session.run("python", "-m", "tests.benchmarks.rehearsal", *session.posargs)


@nox.session(python=PYTHON)
def images(session: nox.Session) -> None:
    """Build the stand-in container images (tests/images) into the local Docker engine; cached by input hash.

    `nox -s images -- postgres redis` builds only those (and the shared base)."""
    session.install("-e", ".", "--group", "dev")
    session.run("python", "-m", "tests.images.build", *session.posargs)
