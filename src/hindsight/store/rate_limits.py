"""Request counts per key and window, shared by every process serving the database."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hindsight.store.schema import rate_limit_windows as table


def add(conn: Connection, window: int, hits: dict[str, int]) -> dict[str, int]:
    """Add this process's `hits` per key to `window`; returns every process's totals."""
    dialect_insert = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    statement = dialect_insert(table).values(
        key=bindparam("k"), window=bindparam("w"), hits=bindparam("h")
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key, table.c.window],
        set_={"hits": table.c.hits + statement.excluded.hits},
    )
    # Sorted, so two processes adding the same keys lock their rows in the same order.
    conn.execute(statement, [{"k": k, "w": window, "h": n} for k, n in sorted(hits.items())])
    query = select(table.c.key, table.c.hits).where(
        tuple_(table.c.key, table.c.window).in_([(k, window) for k in hits])
    )
    return {row.key: int(row.hits) for row in conn.execute(query)}


def forget_before(conn: Connection, prefix: str, window: int) -> None:
    """Drop one limiter's counts (keys starting with `prefix`) of windows before `window`."""
    conn.execute(delete(table).where(table.c.key.startswith(prefix), table.c.window < window))
