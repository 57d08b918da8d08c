"""`column IN (list)` written so that each store runs it cheaply.

SQLite takes an expanding IN list. On PostgreSQL an expanding list makes every length of list
a different statement: SQLAlchemy renders it anew, psycopg parses it anew (it caches only
statements of at most 50 parameters) and the server plans it anew, which cost the projector
more than the work its lists name. There, the list goes as one array parameter,
`column = ANY(:name)`: one statement text whatever the length, cached by all three.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, bindparam, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal


class AnyOf(ColumnElement[bool]):
    """`column` is one of the values bound as `name` (a list; empty matches nothing)."""

    inherit_cache = True
    type = Boolean()
    # A condition, not a boolean column: no `= 1` after it where booleans are not native.
    _is_implicitly_boolean = True
    # What the statement cache keys on (SQLAlchemy's own constructs declare it the same way).
    _traverse_internals = [  # noqa: RUF012
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]

    def __init__(self, column: ColumnElement[Any], name: str) -> None:
        self.column = column
        self.name = name


def any_of(column: ColumnElement[Any], name: str) -> AnyOf:
    return AnyOf(column, name)


@compiles(AnyOf)
def _expanding(element: AnyOf, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column.in_(bindparam(element.name, expanding=True)), **kw))


@compiles(AnyOf, "postgresql")
def _array(element: AnyOf, compiler: Any, **kw: Any) -> str:
    values = bindparam(element.name, type_=ARRAY(element.column.type))
    return str(compiler.process(element.column == func.any(values), **kw))
