"""Every module imports on its own, the library never loads the UI toolkit, and the checks have no import cycle.

An import cycle works or fails depending on which module of it is imported
first, so each module is imported alone in a fresh interpreter; the static
test finds a cycle before any import order trips over it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def modules(package: str) -> dict[str, Path]:
    """Every module of `package` (its directory walked), by dotted name; ``__main__`` modules are left out."""
    found = {}
    for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "__pycache__" in parts or parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)


# Fresh interpreters


@pytest.mark.parametrize("name", [*modules("tracer.checks"), *modules("tui")])
def test_each_module_imports_alone(name: str) -> None:
    result = _run(f"import {name}")
    assert result.returncode == 0, result.stderr


UI_PACKAGES = ("textual", "textual_serve", "tui")
"""What the library must never import: the toolkit, its web server, and the UI package itself."""


def test_the_library_never_imports_textual() -> None:
    names = sorted(modules("tracer"))
    code = "import sys\n" + "".join(f"import {name}\n" for name in names)
    code += f"print(sorted(m for m in sys.modules if m.split('.')[0] in {UI_PACKAGES!r}))"
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"a tracer module imports the UI: {result.stdout}"


def test_no_tracer_module_names_the_ui_in_an_import_even_inside_a_function() -> None:
    """Imported lazily or not, the capture side never reaches for the UI (it finds it through entry points)."""
    offenders = []
    for name, path in modules("tracer").items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module]
            offenders += [f"{name}: {target}" for target in targets if target.split(".")[0] in UI_PACKAGES]
    assert offenders == []


# The static import graph


def _runtime_statements(body: list[ast.stmt], lazy: bool = False) -> Iterator[ast.stmt]:
    """The statements run when a module is imported: not under ``if TYPE_CHECKING``, and in functions only if `lazy`."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not lazy:
            continue
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _runtime_statements(node.orelse, lazy)
            continue
        for field in ("body", "orelse", "finalbody"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                yield from _runtime_statements([child for child in children if isinstance(child, ast.stmt)], lazy)
        for handler in getattr(node, "handlers", ()):
            yield from _runtime_statements(handler.body, lazy)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_graph(known: dict[str, Path], *, lazy: bool = False) -> dict[str, set[str]]:
    """Which of the `known` modules each one imports when it is itself imported (or later, in a function, if `lazy`)."""
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = graph.setdefault(name, set())
        for node in _runtime_statements(ast.parse(path.read_text(encoding="utf-8")).body, lazy):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names if alias.name in known)
            elif isinstance(node, ast.ImportFrom):
                base = package.rsplit(".", node.level - 1)[0] if node.level else ""
                base = ".".join(part for part in (base, node.module) if part)
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    if target in known:
                        edges.add(target)
                    elif base in known:
                        edges.add(base)
        edges.discard(name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The graph's strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("lazy", [False, True], ids=["module level", "with imports in functions"])
def test_the_checks_have_no_import_cycle(lazy: bool) -> None:
    # The whole library is in the graph, so a cycle through a module outside the checks counts too;
    # with imports in functions, a cycle cannot hide behind an import deferred to call time.
    graph = import_graph(modules("tracer"), lazy=lazy)
    assert [c for c in cycles(graph) if any(m.startswith("tracer.checks") for m in c)] == []


def test_the_ui_has_no_import_cycle() -> None:
    graph = import_graph({**modules("tracer"), **modules("tui")})
    assert [c for c in cycles(graph) if any(m.startswith("tui") for m in c)] == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_imports_in_functions_and_for_type_checking_are_not_edges(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import b\n"
        "if TYPE_CHECKING:\n    from . import c\n"
        "def f():\n    from . import d\n"
        "try:\n    from .e import thing\nexcept ImportError:\n    pass\n"
    )
    (tmp_path / "a.py").write_text(source, encoding="utf-8")
    known = {"p.a": tmp_path / "a.py", "p.b": tmp_path / "b.py", "p.c": tmp_path / "c.py",
             "p.d": tmp_path / "d.py", "p.e": tmp_path / "e.py"}
    for name in ("b", "c", "d", "e"):
        (tmp_path / f"{name}.py").write_text("", encoding="utf-8")
    assert import_graph(known)["p.a"] == {"p.b", "p.e"}
    assert import_graph(known, lazy=True)["p.a"] == {"p.b", "p.d", "p.e"}
