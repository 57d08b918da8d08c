"""Only the store writes SQL on schema tables (DESIGN.md): no module outside `store/` imports
`store.schema`."""

from __future__ import annotations

import ast
from pathlib import Path

import hindsight

PACKAGE = Path(hindsight.__file__).parent
# Left to its own change: the projector is being reworked elsewhere (issue 18, item 1).
KNOWN = {"insights/projector.py"}


def _imports_schema(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.module == "hindsight.store.schema":
                return True
            if node.module == "hindsight.store" and any(a.name == "schema" for a in node.names):
                return True
        if isinstance(node, ast.Import) and any(
            a.name == "hindsight.store.schema" for a in node.names
        ):
            return True
    return False


def test_only_the_store_imports_the_schema() -> None:
    offenders = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] != "store"
        and _imports_schema(ast.parse(path.read_text(), str(path)))
    )
    assert [p for p in offenders if p not in KNOWN] == []


def test_the_check_sees_each_form_of_import() -> None:
    for source in (
        "from hindsight.store.schema import tasks",
        "from hindsight.store import schema",
        "import hindsight.store.schema",
        "def f():\n    from hindsight.store.schema import events\n",
    ):
        assert _imports_schema(ast.parse(source)), source
    assert not _imports_schema(ast.parse("from hindsight.store import tasks"))
