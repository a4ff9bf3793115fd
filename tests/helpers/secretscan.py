"""Find secret-looking values in a tree: real-format credentials and long random strings assigned to secret names.

Written here rather than pulled in (detect-secrets, gitleaks) because the rules that matter for a rendered
project are few and specific, and the scan must run with no extra tool on a fresh machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PATTERNS: dict[str, re.Pattern[str]] = {
    "stripe key": re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    "stripe webhook secret": re.compile(r"\bwhsec_[A-Za-z0-9]{16,}"),
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH )?PRIVATE KEY-----"),
    "aws access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "vault token": re.compile(r"\bhv[sbr]\.[A-Za-z0-9_-]{20,}"),
    # NAME = "long random value" where NAME says it is a secret
    "assigned secret": re.compile(
        r"(?i)\b[\w-]*(?:secret|password|token|api_key|apikey)[\w-]*\b\s*[:=]\s*[\"']?"
        r"(?=[A-Za-z0-9+/_=-]{24,})(?=\S*\d)(?=\S*[a-z])(?=\S*[A-Z])([A-Za-z0-9+/_=-]{24,})"
    ),
    "credentials in URL": re.compile(r"://[^/\s:@]+:(?!\$\{|\*\*\*|<|change-me)[^/\s@]{12,}@"),
}
# Heuristic findings on a line that visibly carries a placeholder or a variable reference are not secrets.
HEURISTIC = {"assigned secret", "credentials in URL"}
PLACEHOLDER = re.compile(r"dev-only|ci-only|change-me|placeholder|example|\$\{|<[a-z-]+>", re.IGNORECASE)
SKIP_DIRS = {".git", "__pycache__", ".venv", ".nox", ".ruff_cache", ".pytest_cache"}


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    kind: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}"


def scan_text(text: str, path: Path) -> list[Finding]:
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        for kind, pattern in PATTERNS.items():
            if kind in HEURISTIC and PLACEHOLDER.search(line):
                continue
            if pattern.search(line):
                findings.append(Finding(path, number, kind))
    return findings


def scan_tree(root: Path) -> list[Finding]:
    findings: list[Finding] = []
    for path in sorted(root.rglob("*")):
        if path.is_dir() or SKIP_DIRS.intersection(path.relative_to(root).parts):
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        findings += scan_text(text, path.relative_to(root))
    return findings
