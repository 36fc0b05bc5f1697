"""No function body in src/attain is over 60 lines (issue #18, part 5).

A body is counted from its first statement to the end of its last one, the docstring
excluded, so a long docstring or signature costs nothing. Past ~60 lines a function is
several things; split it into named steps (STYLE.md, "Habits").
"""

from __future__ import annotations

import ast
from pathlib import Path

MAX_BODY_LINES = 60

SRC = Path(__file__).resolve().parents[1] / "src" / "attain"

# Alembic migrations are generated scripts, run once; they are not read as code.
EXCLUDED_DIRS = ("appdb/migrations",)

# Functions allowed over the limit, as "path:function": why (a data table, say). None now;
# an entry that is no longer long fails test_allow_list_has_no_stale_entries.
ALLOWED: dict[str, str] = {}


def body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from the first statement after the docstring to the end of the last."""
    body = node.body
    if (
        len(body) > 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    last = body[-1]
    end = last.end_lineno if last.end_lineno is not None else last.lineno
    return end - body[0].lineno + 1


def long_functions() -> dict[str, int]:
    """Every function in src/attain over the limit, as "path:qualified name" -> lines."""
    found: dict[str, int] = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith(EXCLUDED_DIRS):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        _collect(tree, rel, "", found)
    return found


def _collect(node: ast.AST, rel: str, prefix: str, found: dict[str, int]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{child.name}"
            lines = body_lines(child)
            if lines > MAX_BODY_LINES:
                found[f"{rel}:{name}"] = lines
            _collect(child, rel, f"{name}.", found)
        elif isinstance(child, ast.ClassDef):
            _collect(child, rel, f"{prefix}{child.name}.", found)
        else:
            _collect(child, rel, prefix, found)


def test_no_function_body_over_60_lines() -> None:
    found = long_functions()
    offending = {key: n for key, n in found.items() if key not in ALLOWED}
    report = "\n".join(
        f"src/attain/{key} {n} lines" for key, n in sorted(offending.items(), key=lambda kv: -kv[1])
    )
    assert not offending, f"function bodies over {MAX_BODY_LINES} lines:\n{report}"


def test_allow_list_has_no_stale_entries() -> None:
    """An allowed function that is now short (or gone) leaves the list, so it cannot regrow."""
    found = long_functions()
    stale = sorted(key for key in ALLOWED if key not in found)
    assert not stale, "no longer over the limit, remove from ALLOWED:\n" + "\n".join(stale)


def test_body_lines_counts_from_first_statement_after_docstring() -> None:
    source = (
        'def f():\n    """Doc.\n\n    More.\n    """\n    a = 1\n\n    return (\n        a\n    )\n'
    )
    func = ast.parse(source).body[0]
    assert isinstance(func, ast.FunctionDef)
    # "a = 1" on line 6 to the closing parenthesis on line 10.
    assert body_lines(func) == 5
