"""The alert rules the template ships: valid, unit-tested by the rendered project under promtool, and timed for the
rehearsal without changing what they compute."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.signals.phase import SIGNALS
from harness.signals.rules import RULES_PATH, WINDOW, alert_names, rehearsal_rules
from tests.helpers.render import REPO_ROOT, RenderFn

SHIPPED = (REPO_ROOT / "compose" / "config" / "alerts.yml").read_text()


def test_rendered_project_ships_the_rules_and_its_promtool_tests_pass(render: RenderFn, promtool: str) -> None:
    project = render()
    assert (project / RULES_PATH).read_text() == SHIPPED
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "tests/test_alert_rules.py"],
        cwd=project,
        capture_output=True,
        text=True,
        env={"PATH": str(Path(promtool).parent), "PYTHONPATH": "src"},
        timeout=300,
    )
    assert result.returncode == 0 and "skipped" not in result.stdout, result.stdout + result.stderr


def test_without_metrics_no_rules_ship(render: RenderFn) -> None:
    project = render(observability="none")
    assert not (project / "ops").exists()
    assert not (project / "tests" / "test_alert_rules.py").exists()


def test_one_alert_per_signal() -> None:
    assert sorted(alert_names(SHIPPED)) == sorted(signal.alert for signal in SIGNALS)


def test_rehearsal_timing_changes_windows_and_for_only(tmp_path: Path, promtool: str) -> None:
    timed = rehearsal_rules(SHIPPED)
    assert "[5m]" not in timed and f"[{WINDOW}]" in timed
    assert set(re.findall(r"for: (\S+)", timed)) == {"0s"}
    shipped_exprs = re.findall(r"expr: [|]?\s*(.+?)\n\s+for:", SHIPPED, flags=re.DOTALL)
    assert shipped_exprs, "no expressions found in the shipped rules"
    for expr in shipped_exprs:
        squashed = " ".join(expr.replace("[5m]", f"[{WINDOW}]").split())
        assert squashed in " ".join(timed.split()), f"rehearsal changed more than the window of: {expr}"
    rules = tmp_path / "timed.yml"
    rules.write_text(timed)
    checked = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("mutation", ["> 0.5", "> 2.5"])
def test_promtool_tests_catch_a_changed_threshold(render: RenderFn, promtool: str, mutation: str) -> None:
    """Negative control: a rule whose threshold drifts from the scenarios fails the rendered promtool tests."""
    project = render()
    rules = project / RULES_PATH
    rules.write_text(rules.read_text().replace(mutation, "> 1000", 1))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_alert_rules.py"],
        cwd=project,
        capture_output=True,
        text=True,
        env={"PATH": str(Path(promtool).parent), "PYTHONPATH": "src"},
        timeout=300,
    )
    assert result.returncode != 0 and "FAILED" in result.stdout, result.stdout
