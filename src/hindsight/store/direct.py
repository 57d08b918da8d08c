"""The hot path's few statements, sent to the driver's cursor in the caller's transaction.

SQLAlchemy Core spends 35 to 70 µs of CPU per statement it executes (cache key, execution
context, result object) where sqlite3 spends about 3 µs running the statement itself; a task
update sends four, so Core's own path cost more than the database work. A `DirectStatement`
is still written in Core (one definition for both databases, checked like any other), but is
compiled once per dialect and set of parameter names and then handed to the driver as SQL text.

What Core would have done still happens: values pass through their types' bind processors,
rows through their result processors, statements still reach `before_cursor_execute` and
`after_cursor_execute` listeners, and a driver error is raised as SQLAlchemy's exception (a
deadlock is still the `DBAPIError` the retry loop looks for, a duplicate key still an
`IntegrityError`). Statements whose execution Core completes itself (Python-side column defaults
or `onupdate`s) are refused when compiled, since they would run without them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement, ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # The parameter names in placeholder order for a positional driver (sqlite3's `?`);
    # None when the driver takes a mapping (psycopg's `%(name)s`).
    order: tuple[str, ...] | None
    # Values the statement carries itself (a literal in its WHERE clause), by name.
    fixed: Mapping[str, Any]
    binds: tuple[tuple[str, Processor], ...]
    columns: tuple[str, ...]
    results: tuple[Processor | None, ...]


def _result_columns(statement: ClauseElement) -> list[ColumnElement[Any]]:
    """The columns a SELECT or a RETURNING gives back, in order (none for plain DML or text:
    their rows, if any, are read without types)."""
    return list(getattr(statement, "exported_columns", ()))


def _result_processor(column: ColumnElement[Any], dialect: Dialect) -> Processor | None:
    return column.type.dialect_impl(dialect).result_processor(dialect, None)


def _compile(statement: ClauseElement, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
    assert isinstance(compiled, SQLCompiler)  # a SQL statement, not DDL
    if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
        raise ValueError("a direct statement cannot fill column defaults: give every value")
    binds = []
    fixed = {}
    for name, bind in compiled.binds.items():
        if name not in keys:
            if bind.required:
                raise ValueError(f"a direct statement needs a value for {name!r}")
            fixed[name] = bind.effective_value
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            binds.append((name, processor))
    columns = _result_columns(statement)
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    return _Compiled(
        sql=compiled.string,
        order=order,
        fixed=fixed,
        binds=tuple(binds),
        columns=tuple(str(c.key) for c in columns),
        results=tuple(_result_processor(c, dialect) for c in columns),
    )


class DirectStatement:
    """A Core statement run on the driver's cursor (see the module docstring)."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._compiled: dict[tuple[str, str, tuple[str, ...]], _Compiled] = {}

    def _for(self, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
        key = (dialect.name, dialect.driver, keys)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _compile(self._statement, dialect, keys)
        return compiled

    def _run(self, conn: Connection, params: Mapping[str, Any]) -> tuple[_Compiled, Any]:
        compiled = self._for(conn.dialect, tuple(params))
        values = {**compiled.fixed, **params} if compiled.fixed else dict(params)
        for name, processor in compiled.binds:
            values[name] = processor(values[name])
        bound: Any = values if compiled.order is None else tuple(values[n] for n in compiled.order)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        dispatch = conn.dispatch
        dispatch.before_cursor_execute(conn, cursor, compiled.sql, bound, None, False)
        try:
            cursor.execute(compiled.sql, bound)
        except conn.dialect.loaded_dbapi.Error as exc:
            cursor.close()
            raise DBAPIError.instance(
                compiled.sql, bound, exc, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
            ) from exc
        dispatch.after_cursor_execute(conn, cursor, compiled.sql, bound, None, False)
        return compiled, cursor

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> None:
        """Run a statement that returns nothing."""
        _compiled, cursor = self._run(conn, params)
        cursor.close()

    def first(self, conn: Connection, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row as a mapping of column keys to values, or None."""
        compiled, cursor = self._run(conn, params)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return {
            name: value if processor is None else processor(value)
            for name, processor, value in zip(compiled.columns, compiled.results, row, strict=True)
        }

    def scalars(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """The first column of every row (no result processing: for plain numbers)."""
        _compiled, cursor = self._run(conn, params)
        try:
            return [row[0] for row in cursor.fetchall()]
        finally:
            cursor.close()
