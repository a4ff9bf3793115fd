"""harness/ has no import cycle, and its low-level modules import nothing above them.

The graph is read from the source with ``ast``: every import counts, at module level or inside a function
(a function-local import does not make a cycle go away, it only delays it), under ``TYPE_CHECKING`` too.
Importing ``a.b.c`` also runs ``a/__init__`` and ``a/b/__init__`` first, so those count as edges too,
except from a module inside that package (its ``__init__`` has already started by then).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Leaves and near-leaves: the harness modules each may import (anything else from harness/ is "above" them).
LOW_LEVEL: dict[str, set[str]] = {
    "harness.errors": set(),
    "harness.ports": set(),
    "harness.toolcache": set(),
    "harness.endpoints": set(),
    "harness.console": set(),
    "harness.options": set(),
    "harness.tls": set(),
    "harness.bytecode": {"harness.toolcache"},
    "harness.pythonenv": {"harness", "harness.bytecode", "harness.toolcache"},
    "harness.readiness": {"harness", "harness.ports", "harness.tls"},
    "harness.commands": {"harness", "harness.bytecode", "harness.errors", "harness.pythonenv", "harness.toolcache"},
    "harness.exposure": set(),
    "harness.interrupts": set(),
    "harness.process": {"harness.commands", "harness.errors", "harness.exposure", "harness.ports", "harness.readiness"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in (ROOT / "harness").rglob("*.py")}

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets |= {known(alias.name) for alias in node.names if alias.name.split(".")[0] == "harness"}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                if base.split(".")[0] != "harness":
                    continue
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.add(submodule if submodule in modules else known(base))
        edges = {target for target in targets if target}
        for target in list(edges):
            parts = target.split(".")
            for depth in range(2, len(parts)):
                ancestor = ".".join(parts[:depth])
                if ancestor in modules and name != ancestor and not name.startswith(f"{ancestor}."):
                    edges.add(ancestor)
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle_in_harness() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_sees_a_cycle() -> None:  # negative control
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_low_level_modules_import_nothing_above_them() -> None:
    graph = import_graph()
    above = {name: sorted(graph[name] - allowed) for name, allowed in LOW_LEVEL.items()}
    assert above == {name: [] for name in LOW_LEVEL}


def imported_names(path: Path) -> set[str]:
    """Every module name ``path`` imports, relative imports spelled with their dots (``.conftest``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.add(base)
            names |= {f"{base}.{alias.name}" if node.module else f"{base}{alias.name}" for alias in node.names}
    return names


def is_test_module(name: str) -> bool:
    last = name.rstrip(".").rpartition(".")[2]
    return last == "conftest" or last.startswith("test_")


def test_nothing_imports_a_test_module_or_conftest() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in imported_names(path) if is_test_module(name))
        for folder in ("harness", "tests")
        for path in (ROOT / folder).rglob("*.py")
        if ".nox" not in path.parts
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def reachable(graph: dict[str, set[str]], start: set[str]) -> set[str]:
    """Every module ``start`` imports, directly or through others."""
    seen: set[str] = set()
    work = list(start)
    while work:
        for target in graph.get(work.pop(), set()) - seen:
            seen.add(target)
            work.append(target)
    return seen


# What the backup library must stand without: it takes a database URL and a PostgreSQL client, never a stack.
ABOVE_BACKUP = ("harness.stack", "harness.providers", "harness.native", "harness.deploy", "harness.drills")


def test_the_backup_library_imports_no_stack() -> None:
    graph = import_graph()
    backup = {name for name in graph if name == "harness.backup" or name.startswith("harness.backup.")}
    above = sorted(n for n in reachable(graph, backup) if n.startswith(ABOVE_BACKUP))
    assert above == []


def test_reachable_follows_imports_through_other_modules() -> None:  # negative control for the rule above
    graph = {"harness.backup": {"harness.x"}, "harness.x": {"harness.stack"}, "harness.stack": set()}
    assert reachable(graph, {"harness.backup"}) == {"harness.x", "harness.stack"}
