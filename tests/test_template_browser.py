"""The rendered project's own browser test (browser_tests/, `nox -s browser`) passes, and its CI runs it."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml

from harness import browser
from tests.helpers import needs
from tests.helpers.render import RenderFn


def test_rendered_browser_tests_pass_in_chromium(render: RenderFn) -> None:
    needs.chromium()
    project = render()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "browser_tests", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "CHROMIUM_PATH": str(browser.find_chromium())},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-2000:]


def test_rendered_ci_runs_the_browser_test_and_requires_a_browser_for_the_rehearsal(render: RenderFn) -> None:
    project = render()
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    jobs = workflow["jobs"]
    assert any(step.get("run") == "nox -s browser" for step in jobs["browser"]["steps"])
    assert jobs["integration"]["env"]["HARNESS_REQUIRE_BROWSER"] == "1"
    noxfile = (project / "noxfile.py").read_text()
    assert "def browser(" in noxfile and '"browser_tests"' in noxfile
