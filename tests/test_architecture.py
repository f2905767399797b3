"""Dependencies point one way (STYLE.md, principle 3), and ``__all__`` is complete.

The allowed imports are data: each top-level part of ``b2bcx`` and the parts it
may import. A part that is not in the table fails the test, so a new package has
to take its place in the architecture explicitly.
"""

from __future__ import annotations

import ast
import types
from pathlib import Path

import b2bcx

SRC = Path(b2bcx.__file__).resolve().parent

_CORE = {"errors", "progress", "config", "convert"}
_ANALYTICS = {"model", "storage", "text", "measures", "diagnose", "strategy"} | _CORE

#: part → the parts of b2bcx it may import (itself is always allowed).
#: "b2bcx" is the package root (``import b2bcx``), a facade only adapters use.
ALLOWED: dict[str, frozenset[str]] = {
    "errors": frozenset(),
    "convert": frozenset(),
    "progress": frozenset({"errors"}),
    "config": frozenset({"errors"}),
    "model": frozenset({"errors"}),
    "storage": frozenset({"model", "errors"}),
    "bundle": frozenset({"model", "storage", "errors", "progress"}),
    "text": frozenset({"model", "storage", "errors", "config", "progress"}),
    "measures": frozenset({"model", "storage", "text", "errors", "config", "progress"}),
    "diagnose": frozenset(_ANALYTICS - {"diagnose", "strategy"}),
    "strategy": frozenset(_ANALYTICS - {"strategy"}),
    # the report shows the closed loop's results too (``cases.closed_loop``)
    "report": frozenset(_ANALYTICS | {"analyses", "cases", "readiness"}),
    "info": frozenset({"model", "storage", "errors"}),
    # what the data supports and what unlocks the rest: counts only, below the analyses
    "readiness": frozenset({"model", "storage", "measures", "errors"}),
    "demo": frozenset({"model", "errors", "progress", "bundle", "storage", "config"}),
    # the standard analyses: one memoised delegation each, below the report
    "analyses": frozenset(_ANALYTICS | {"info", "readiness"}),
    "workspace": frozenset(_ANALYTICS | {"bundle", "info", "report", "demo", "analyses"}),
    # the closed loop: cases, alert rules (over the standard analyses), notifications
    "cases": frozenset(_ANALYTICS | {"analyses"}),
    # the server behind the API and the dashboard: cache, views, tokens, uploads
    "server": frozenset(
        _ANALYTICS | {"bundle", "info", "analyses", "workspace", "cases", "readiness"}
    ),
    # adapters: may use the library; the API and the dashboard stand side by side
    # on the server (stored records only through it), and the CLI's ``serve``
    # starts both
    "cli": frozenset(
        _ANALYTICS
        | {"bundle", "info", "report", "demo", "workspace", "analyses", "b2bcx"}
        | {"server", "api", "web", "cases", "readiness"}
    ),
    # the REST API and the dashboard read results and records only through the
    # server; they take no storage, bundle, demo or text internals
    "api": frozenset(
        _CORE
        | {"model", "measures", "strategy", "cases", "server", "analyses", "workspace", "b2bcx"}
        | {"readiness"}
    ),
    "web": frozenset(
        _CORE
        | {"model", "measures", "diagnose", "strategy", "cases", "report", "server", "analyses"}
        | {"workspace", "b2bcx", "readiness"}
    ),
    # the package root re-exports the public API
    "__init__": frozenset(_ANALYTICS | {"bundle", "info", "report", "workspace", "analyses"}),
}

ADAPTERS = frozenset({"cli", "api", "web"})


def _part(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imported_parts(tree: ast.AST) -> list[tuple[int, str, str]]:
    """(line, imported module, part of b2bcx) for every b2bcx import in ``tree``."""
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "b2bcx":
                names = [f"b2bcx.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] != "b2bcx":
                continue
            part = parts[1] if len(parts) > 1 else "b2bcx"
            found.append((node.lineno, name, part))
    return found


def check_module(part: str, where: str, source: str) -> list[str]:
    """The forbidden imports of one module of ``part``, each as ``where:line imports x``."""
    if part not in ALLOWED:
        return [f"{where}: part {part!r} is not in ALLOWED"]
    problems = []
    for line, name, imported in _imported_parts(ast.parse(source, filename=where)):
        if imported != part and imported not in ALLOWED[part]:
            problems.append(f"{where}:{line} imports {name}")
    return problems


def test_dependencies_point_one_way() -> None:
    problems: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        where = str(path.relative_to(SRC.parent))
        problems += check_module(_part(path), where, path.read_text(encoding="utf-8"))
    assert not problems, "forbidden imports (see ALLOWED):\n" + "\n".join(problems)


def test_allowed_table_keeps_adapters_as_leaves() -> None:
    # cli (serve) is the one adapter → adapter edge: the API and the dashboard
    # stand side by side on the server
    entry_points = {"cli": {"api", "web"}}
    for part, allowed in ALLOWED.items():
        extra = allowed & ADAPTERS - entry_points.get(part, set())
        assert not extra, f"{part} may import an adapter"
    for part in ("model", "storage", "bundle", "text", "measures", "diagnose", "strategy"):
        assert not ALLOWED[part] & {"workspace", "b2bcx"}, part
    assert not ALLOWED["server"] & (ADAPTERS | {"b2bcx"}), "the server imports an adapter"
    assert "api" not in ALLOWED["web"], "the dashboard imports the API"
    assert {p for p, allowed in ALLOWED.items() if "server" in allowed} <= ADAPTERS


def test_check_names_the_offending_module_and_import() -> None:
    source = "import numpy\ndef f():\n    from b2bcx.cli import app\nfrom b2bcx import workspace\n"
    assert sorted(check_module("measures", "b2bcx/measures/x.py", source)) == [
        "b2bcx/measures/x.py:3 imports b2bcx.cli",
        "b2bcx/measures/x.py:4 imports b2bcx.workspace",
    ]
    assert check_module("model", "m.py", "from b2bcx.storage import Backend\n") == [
        "m.py:1 imports b2bcx.storage"
    ]
    assert check_module("model", "m.py", "from b2bcx.errors import NotFound\n") == []
    assert check_module("newpart", "n.py", "") == ["n.py: part 'newpart' is not in ALLOWED"]
    late_api = "def f():\n    from b2bcx.api.app import create_app\n"
    assert check_module("web", "b2bcx/web/x.py", late_api) == [
        "b2bcx/web/x.py:2 imports b2bcx.api.app"
    ]
    assert check_module("api", "b2bcx/api/x.py", "from b2bcx.server.views import result\n") == []


def test_all_lists_exactly_the_public_names() -> None:
    for name in b2bcx.__all__:
        assert hasattr(b2bcx, name), f"b2bcx.__all__ lists {name}, which does not exist"
    assert len(set(b2bcx.__all__)) == len(b2bcx.__all__)
    public = {
        name
        for name, value in vars(b2bcx).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    missing = public - set(b2bcx.__all__)
    assert not missing, f"public names missing from b2bcx.__all__: {sorted(missing)}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_imports(paths: list[Path]) -> dict[str, set[str]]:
    """Module → the b2bcx modules it imports anywhere (also inside functions)."""
    names = {_module_name(p): p for p in paths}
    graph: dict[str, set[str]] = {name: set() for name in names}
    for name, path in names.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                found = [base, *(f"{base}.{a.name}" for a in node.names)]
            else:
                continue
            graph[name] |= {f for f in found if f in names and f != name}
    return graph


def cycles_within_parts(graph: dict[str, set[str]], faces: set[str]) -> list[list[str]]:
    """Import cycles among the modules of one part (Tarjan's strongly connected
    components). Imports of a package's face (its ``__init__``, in ``faces``) do
    not count: a face re-exports its modules, which then may use each other."""

    def part(module: str) -> str:
        return module.split(".")[1] if "." in module else module

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if part(w) != part(v) or w in faces:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_inside_a_part() -> None:
    paths = sorted(SRC.rglob("*.py"))
    faces = {_module_name(p) for p in paths if p.name == "__init__.py"}
    cycles = cycles_within_parts(module_imports(paths), faces)
    assert not cycles, "import cycles inside a part (move the shared code down):\n" + "\n".join(
        " ↔ ".join(c) for c in cycles
    )


def test_cycle_check_finds_a_late_import_cycle() -> None:
    graph = {"b2bcx.cli.a": {"b2bcx.cli.b"}, "b2bcx.cli.b": {"b2bcx.cli.a"}, "b2bcx.cli": set()}
    assert cycles_within_parts(graph, {"b2bcx.cli"}) == [["b2bcx.cli.a", "b2bcx.cli.b"]]
    graph = {"b2bcx.cli.a": {"b2bcx.cli"}, "b2bcx.cli": {"b2bcx.cli.a"}}
    assert cycles_within_parts(graph, {"b2bcx.cli"}) == []
