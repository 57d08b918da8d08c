"""Count the functions in src/hindsight whose result is untyped (issue 18, item 2).

A function counts when its return annotation is missing, or names `Any` or a raw SQLAlchemy row
type (`Row`, `RowMapping`, `Result`, `CursorResult`) anywhere in it (`dict[str, Any]`,
`list[Row[Any]]`, `Any | None`). `__init__` and other dunder methods are left out: they return
None by definition. Prints a count per folder (the first folder under hindsight/, e.g. `store`,
`routing`), then, with `--list`, each function as `path:line name -> annotation`.

Run: `python scripts/untyped_returns.py [--list] [folder ...]`
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src" / "hindsight"
UNTYPED_NAMES = frozenset({"Any", "Row", "RowMapping", "Result", "CursorResult"})
# SQL statements and expressions are typed by SQLAlchemy as `Select[Any]` and the like: their
# `Any` is the shape of a query not yet run, not an untyped result, so it does not count.
STATEMENT_TYPES = frozenset(
    {"Select", "ColumnElement", "Column", "Insert", "Update", "Delete", "UnaryExpression"}
)


def _names(annotation: ast.AST) -> Iterator[str]:
    """The names an annotation mentions outside statement types, string annotations parsed
    too."""
    if isinstance(annotation, ast.Subscript) and _head(annotation.value) in STATEMENT_TYPES:
        return
    for node in ast.iter_child_nodes(annotation):
        yield from _names(node)
    if isinstance(annotation, ast.Name):
        yield annotation.id
    elif isinstance(annotation, ast.Attribute):
        yield annotation.attr
    elif isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        yield from _names(ast.parse(annotation.value, mode="eval").body)


def _head(node: ast.AST) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def untyped(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    if function.returns is None:
        return True
    return not UNTYPED_NAMES.isdisjoint(_names(function.returns))


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def findings(path: Path) -> Iterator[tuple[int, str, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or _dunder(node.name):
            continue
        if untyped(node):
            shown = "(none)" if node.returns is None else ast.unparse(node.returns)
            yield node.lineno, node.name, shown


def folder_of(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return parts[0] if len(parts) > 1 else "(top)"


def main(argv: list[str]) -> int:
    show = "--list" in argv
    wanted = {a for a in argv if not a.startswith("--")}
    per_folder: Counter[str] = Counter()
    lines: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        folder = folder_of(path)
        if wanted and folder not in wanted:
            continue
        for line, name, shown in findings(path):
            per_folder[folder] += 1
            lines.append(f"{path.relative_to(ROOT.parent)}:{line} {name} -> {shown}")
    for folder, count in sorted(per_folder.items(), key=lambda item: (-item[1], item[0])):
        print(f"{folder:16} {count}")
    print(f"{'total':16} {sum(per_folder.values())}")
    if show:
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
