"""The layers of docs/architecture.md, checked on every module's imports (read with `ast`, so
nothing is imported): the core never imports the interfaces, the web app never imports the
command line, and no test changes `sys.path` (shared helpers live in `tests.support`)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "attain"
TESTS = ROOT / "tests"

INTERFACES = frozenset({"cli", "web"})
"""Thin layers that parse input, call the core and render its results."""
CORE = frozenset(
    {
        "schema",
        "ingest",
        "store",
        "metrics",
        "diagnosis",
        "leads",
        "forecast",
        "plan",
        "workflow",
        "reports",
        "appdb",
        "history",
        "demo",
        "access",
        "config",
        "errors",
        "fingerprint",
        "mail",
        "preload",
    }
)
"""Everything under `attain` but the interfaces: packages and the top-level modules."""

SYS_PATH_CHANGES = frozenset({"insert", "append", "extend", "remove", "clear", "pop"})


def _layer(path: Path) -> str:
    """The part of `attain` a source file belongs to: its package, or the module's name."""
    first = path.relative_to(SOURCE).parts[0]
    return first.removesuffix(".py")


def _imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import, also those inside functions."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            if node.module == "attain":  # `from attain import web`
                for alias in node.names:
                    yield node.lineno, f"attain.{alias.name}"


def _layer_of_import(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "attain" and len(parts) > 1 else None


def _sources() -> list[Path]:
    return sorted(p for p in SOURCE.rglob("*.py") if p.parent != SOURCE or p.name != "__init__.py")


def test_every_part_of_attain_has_a_layer() -> None:
    """A new package or top-level module is placed in docs/architecture.md and here."""
    layers = {_layer(path) for path in _sources()}
    assert layers - CORE - INTERFACES == set()


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        (
            "core",
            INTERFACES,
        ),
        ("web", frozenset({"cli"})),
    ],
)
def test_a_layer_imports_only_what_lies_below_it(layer: str, forbidden: frozenset[str]) -> None:
    """The core never imports `attain.web` or `attain.cli`; the web app never imports the
    command line (the command line may start the web app: `attain serve`)."""
    importers = CORE if layer == "core" else frozenset({layer})
    found = []
    for path in _sources():
        if _layer(path) not in importers:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, module in _imports(tree):
            if _layer_of_import(module) in forbidden:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert found == []


def _changes_sys_path(node: ast.AST) -> bool:
    def is_sys_path(target: ast.AST) -> bool:
        while isinstance(target, ast.Subscript):
            target = target.value
        return (
            isinstance(target, ast.Attribute)
            and target.attr == "path"
            and isinstance(target.value, ast.Name)
            and target.value.id == "sys"
        )

    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "syspath_prepend":  # pytest's monkeypatch
            return True
        return node.func.attr in SYS_PATH_CHANGES and is_sys_path(node.func.value)
    if isinstance(node, ast.Assign):
        return any(is_sys_path(target) for target in node.targets)
    if isinstance(node, ast.AugAssign | ast.AnnAssign):
        return is_sys_path(node.target)
    return False


def test_no_test_changes_sys_path() -> None:
    """Helpers shared by several test folders are imported from `tests.support`."""
    found = [
        f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
        for path in sorted(TESTS.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if _changes_sys_path(node)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("code", "changes"),
    [
        ("sys.path.insert(0, 'x')", True),
        ("sys.path[:0] = ['x']", True),
        ("sys.path += ['x']", True),
        ("monkeypatch.syspath_prepend('x')", True),
        ("paths = list(sys.path)", False),
        ("items.insert(0, 'x')", False),
    ],
)
def test_the_sys_path_check_sees_each_way_of_changing_it(code: str, changes: bool) -> None:
    tree = ast.parse(code)
    assert any(_changes_sys_path(node) for node in ast.walk(tree)) is changes


def test_the_import_check_sees_imports_inside_functions() -> None:
    tree = ast.parse(
        "def f():\n    from attain.web.app import create_app\nfrom attain import cli\n"
    )
    assert {_layer_of_import(module) for _, module in _imports(tree)} == {"web", "cli", None}
