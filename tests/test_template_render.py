"""Issue: the template renders a production-shaped project for every option combination, and refuses bad input."""

from __future__ import annotations

import keyword
import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import copier
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers.junit import junit_outcomes
from tests.helpers.render import REPO_ROOT, RenderFn, render_project
from tests.helpers.secretscan import scan_text, scan_tree

HELPERS = Path(__file__).resolve().parent / "helpers"

ALL_OPTIONS = {"with_sms": True, "with_object_storage": True, "with_queue": True, "observability": "full"}
SLUG = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")  # copier.yml's project_slug rule
OPTION_MATRIX = [
    pytest.param({}, id="defaults"),
    pytest.param({"with_sms": True}, id="sms"),
    pytest.param({"with_object_storage": True}, id="object-storage"),
    pytest.param({"with_queue": True}, id="queue"),
    pytest.param({"observability": "none"}, id="observability-none"),
    pytest.param({"observability": "full"}, id="observability-full"),
    pytest.param(ALL_OPTIONS, id="all-on"),
]
# Jinja left in the output: an expression, a statement tag or a comment, or a ``.jinja`` file name.
UNRENDERED = re.compile(r"\{\{\s*[\w.]+(\s*\|[^}]*)?\s*\}\}|\{%-?\s*\w+|\{#|\.jinja$")


def rendered_files(project: Path) -> list[Path]:
    return [p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts]


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env} if env else None
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, timeout=600, env=environment)


@pytest.mark.parametrize("answers", OPTION_MATRIX)
def test_render_is_complete_and_lint_clean(render: RenderFn, answers: dict) -> None:
    project = render(**answers)
    leftovers = [
        str(path.relative_to(project))
        for path in rendered_files(project)
        if UNRENDERED.search(path.name) or UNRENDERED.search(path.read_text(errors="ignore"))
    ]
    assert not leftovers, f"unrendered Jinja in {leftovers}"
    lint = run([sys.executable, "-m", "ruff", "check", "."], project)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run([sys.executable, "-m", "ruff", "format", "--check", "."], project)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.parametrize(
    "answers",
    [OPTION_MATRIX[0], OPTION_MATRIX[4], OPTION_MATRIX[-1]],
)
def test_rendered_unit_tests_pass(render: RenderFn, answers: dict) -> None:
    project = render(**answers)
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " skipped" not in result.stdout, result.stdout[-2000:]


def test_feature_modules_follow_the_answers(render: RenderFn) -> None:
    off = render()
    on = render(with_sms=True, with_object_storage=True, with_queue=True, observability="full")
    project_py = (on / "src" / "demo_auth" / "project.py").read_text()
    assert "WITH_SMS: Final = True" in project_py and "WITH_QUEUE: Final = True" in project_py
    assert "WITH_SMS: Final = False" in (off / "src" / "demo_auth" / "project.py").read_text()


def test_answers_file_records_answers_and_no_secret(render: RenderFn) -> None:
    project = render(with_sms=True)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["project_slug"] == "demo_auth"
    assert answers["with_sms"] is True
    assert "_commit" in answers and "_src_path" in answers
    assert not any(re.search(r"secret|password|token", key) for key in answers)


@pytest.mark.parametrize("answers", [OPTION_MATRIX[0], OPTION_MATRIX[-1]])
def test_rendered_tree_holds_no_secret(render: RenderFn, answers: dict) -> None:
    project = render(**answers)
    findings = scan_tree(project)
    assert not findings, "secret-looking values in the rendered project:\n" + "\n".join(map(str, findings))


@pytest.mark.parametrize(
    "planted",
    [
        'STRIPE_SECRET_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"',
        "KERNIA_SECRET=Zq8vN2xY7pL4mK9wR3tB6sD1fG5hJ0cE",
        "DATABASE_URL=postgresql://app:Sup3rS3cretPassw0rd@db:5432/app",
        "webhook: whsec_1234567890abcdefABCDEF",
    ],
)
def test_secret_scan_catches_planted_secrets(planted: str) -> None:
    """Negative control: the scan that guards the rendered tree really finds secrets."""
    assert scan_text(planted, Path("planted.env")), f"the scanner missed {planted!r}"


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("project_slug", "Bad-Slug", "not a valid Python package name"),
        ("project_slug", "1auth", "not a valid Python package name"),
        # `<slug>:dev` names the project's image: a reference path ends alphanumeric and has no `___`.
        ("project_slug", "acme_", "and image name"),
        ("project_slug", "acme___auth", "and image name"),
        # A keyword breaks every import of the package; a module's or dependency's name shadows it.
        ("project_slug", "import", "a Python keyword, a standard-library module or a package the project imports"),
        ("project_slug", "json", "a Python keyword, a standard-library module or a package the project imports"),
        ("project_slug", "kernia", "a Python keyword, a standard-library module or a package the project imports"),
        ("auth_path", "api/auth/", "must start with"),
        ("backend_url", "api.example.com", "must be an http(s) URL"),
        ("frontend_url", "https://app.example.com/", "must be an http(s) URL"),
        ("project_name", "   ", "must not be empty"),
    ],
)
def test_invalid_answer_is_refused_naming_field_and_rule(tmp_path: Path, field: str, value: str, rule: str) -> None:
    with pytest.raises(Exception) as caught:
        render_project(tmp_path / "bad", **{field: value})
    message = str(caught.value)
    assert field in message and rule in message, message
    assert not (tmp_path / "bad" / "pyproject.toml").exists(), "a project was rendered from invalid answers"


def test_reserved_slugs_hold_every_keyword_standard_module_and_import_of_the_project(render: RenderFn) -> None:
    """copier.yml's list is literal (a validator cannot import Python): this keeps it complete for the Python
    running the tests and for the packages a project rendered with every option depends on."""
    reserved = set(yaml.safe_load((REPO_ROOT / "copier.yml").read_text())["reserved_slugs"]["default"])
    pyproject = tomllib.loads((render(**ALL_OPTIONS) / "pyproject.toml").read_text())
    requirements = [*pyproject["project"]["dependencies"]]
    for group in ("dev", "browser"):
        requirements += pyproject["dependency-groups"][group]
    wanted = {canonicalize_name(Requirement(r).name) for r in requirements}
    installed = metadata.packages_distributions()
    imports = {name for name, dists in installed.items() if wanted & {canonicalize_name(d) for d in dists}}
    expected = {*keyword.kwlist, *sys.stdlib_module_names, *imports, "harness"}
    missing = sorted(name for name in expected if SLUG.fullmatch(name) and name not in reserved)
    assert not missing, f"add to copier.yml's reserved_slugs: {missing}"


def test_rendering_into_non_empty_directory_keeps_user_files(tmp_path: Path) -> None:
    """A file of the user's that the template would replace stops the render (no stdin to ask) and survives."""
    dest = tmp_path / "existing"
    dest.mkdir()
    (dest / "README.md").write_text("my notes\n")
    (dest / "keep.txt").write_text("mine\n")
    with pytest.raises(Exception, match="overwrite"):
        copier.run_copy(
            str(REPO_ROOT),
            dest,
            data={"project_name": "Demo Auth"},
            defaults=True,
            unsafe=True,
            quiet=True,
            vcs_ref="HEAD",
            overwrite=False,
        )
    assert (dest / "README.md").read_text() == "my notes\n", "copier overwrote the user's README"
    assert (dest / "keep.txt").read_text() == "mine\n"


def test_image_holds_what_the_compose_services_run(render: RenderFn) -> None:
    """Backend, migrate and frontend services all run from the project's image: each needs its files inside."""
    project = render()
    dockerfile = (project / "Dockerfile").read_text()
    ignored = (project / ".dockerignore").read_text().split()
    compose = (project / "compose.yaml").read_text()
    for directory in ("src", "migrations", "frontend"):
        assert f"COPY {directory} " in dockerfile, f"the image lacks {directory}/"
        assert directory not in ignored, f".dockerignore drops {directory}/"
    assert "--app-dir" in compose and "frontend" in compose


# Fixes that are not swappable defences: the shared schema (proven on PostgreSQL by tests/e2e/test_migrations.py)
# and the auth base URL wiring (proven by the rehearsal's emailed-link checks).
NOT_DEFENCES = {
    "test_schema_fits_postgres",
    "test_api_key_round_trip_on_fixed_schema",
    "test_magic_link_uses_auth_base_url",
}


def test_defect_tests_fail_without_the_fixes(render: RenderFn, tmp_path: Path) -> None:
    """Negative control for the rendered project's defect tests: with its defences replaced by Kernia's stock
    behaviour (tests/helpers/unfixed_build.py), each must fail.

    The schema fix is not a defence that can be swapped out (the database schema is shared);
    tests/e2e/test_migrations.py proves it on a real PostgreSQL instead.
    """
    project = render(with_sms=True, with_object_storage=True, with_queue=True, observability="full")
    junit = tmp_path / "unfixed.xml"
    run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "unfixed_build",
            f"--junitxml={junit}",
            "tests/test_defects.py",
        ],
        project,
        env={"UNFIXED_PROJECT_SLUG": "demo_auth", "PYTHONPATH": f"{HELPERS}{os.pathsep}src"},
    )
    outcomes = junit_outcomes(junit)
    assert len(outcomes) >= 15, outcomes
    survivors = [name for name, outcome in outcomes.items() if outcome != "failed" and name not in NOT_DEFENCES]
    assert not survivors, f"defect tests that pass without their fix: {survivors}"


def test_security_page_names_only_checks_that_exist(render: RenderFn) -> None:
    """SECURITY.md cites a check for each defect it closes; every cited check must exist (harness or project)."""
    project = render()
    cited = set(re.findall(r"`(test_[a-z0-9_]+)`", (project / "SECURITY.md").read_text()))
    sources = [*(REPO_ROOT / "harness" / "suite").glob("test_*.py"), *(project / "tests").glob("test_*.py")]
    defined = {name for path in sources for name in re.findall(r"def (test_[a-z0-9_]+)", path.read_text())}
    assert len(cited) >= 15, cited
    assert cited <= defined, f"SECURITY.md cites checks that do not exist: {sorted(cited - defined)}"


def test_nox_fails_with_install_hint_when_the_python_is_missing(render: RenderFn) -> None:
    project = render()
    noxfile = project / "noxfile.py"
    noxfile.write_text(re.sub(r'(?m)^PYTHON = ".*"$', 'PYTHON = "3.99"', noxfile.read_text()))
    result = run([sys.executable, "-m", "nox", "-s", "lint"], project)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "uv python install 3.99" in result.stdout + result.stderr


def test_readme_and_ci_upgrade_pip_before_installing(render: RenderFn) -> None:
    """A fresh venv's pip (23.2) has no ``--group``: every documented or CI pip install upgrades pip first."""
    project = render()
    readme = (project / "README.md").read_text()
    assert readme.index("pip install --upgrade pip") < readme.index("--group harness")
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    for name, job in workflow["jobs"].items():
        installs = [step["run"] for step in job["steps"] if "pip install" in step.get("run", "")]
        assert installs and "pip install --upgrade pip" in installs[0], f"job {name}: {installs}"


def test_generated_workflow_matches_the_github_workflow_schema(render: RenderFn) -> None:
    """The workflow validates against GitHub's schema (vendored in check-jsonschema: no network), and rehearses
    on the native services and on the project's compose.yaml."""
    project = render()
    workflow = project / ".github" / "workflows" / "ci.yml"
    result = run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(workflow)],
        project,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    runs = " ".join(
        step.get("run", "") for job in yaml.safe_load(workflow.read_text())["jobs"].values() for step in job["steps"]
    )
    assert "rehearse -- --provider native" in runs and "rehearse -- --provider compose" in runs


def test_workflow_schema_check_catches_a_broken_workflow(tmp_path: Path) -> None:
    """Negative control: a job without runs-on or steps is refused by the same check."""
    broken = tmp_path / "ci.yml"
    broken.write_text("name: ci\non: push\njobs:\n  lint:\n    step: []\n")
    result = run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(broken)], tmp_path
    )
    assert result.returncode != 0
