"""Request counts per key and window, shared by every process serving the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, bindparam, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hindsight.store.direct import DirectStatement
from hindsight.store.schema import rate_limit_windows as table


def _add_returning_total(dialect_insert: Callable[..., Any]) -> DirectStatement:
    statement = dialect_insert(table).values(
        key=bindparam("k"), window=bindparam("w"), hits=bindparam("h")
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key, table.c.window],
        set_={"hits": table.c.hits + statement.excluded.hits},
    )
    return DirectStatement(statement.returning(table.c.hits))


# Every HTTP process adds its counts ten times a second: straight to the driver, one
# statement per key that also returns the total (through Core, the upsert and a read of the
# totals cost about a millisecond of the request loop's CPU per flush).
_ADD = {
    "sqlite": _add_returning_total(sqlite_insert),
    "postgresql": _add_returning_total(pg_insert),
}


def add(conn: Connection, window: int, hits: dict[str, int]) -> dict[str, int]:
    """Add this process's `hits` per key to `window`; returns every process's totals."""
    statement = _ADD[conn.dialect.name]
    totals = {}
    # Sorted, so two processes adding the same keys lock their rows in the same order.
    for key, n in sorted(hits.items()):
        row = statement.first(conn, {"k": key, "w": window, "h": n})
        assert row is not None  # an upsert always returns its row
        totals[key] = int(row["hits"])
    return totals


def forget_before(conn: Connection, prefix: str, window: int) -> None:
    """Drop one limiter's counts (keys starting with `prefix`) of windows before `window`."""
    conn.execute(delete(table).where(table.c.key.startswith(prefix), table.c.window < window))
