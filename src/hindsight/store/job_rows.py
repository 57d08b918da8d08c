"""Tables whose rows are their own background jobs (media analyses, media exports).

A process leases a due row by an update that checks again that it is claimable, so of two
claimers only one changes it; afterwards it changes the row only while it still holds the
lease: a lease that ran out may have passed to another process, whose work then counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Table, select, update

from hindsight.store.records import AnyRow, optional

R = TypeVar("R")


def claim_first(
    conn: Connection,
    table: Table,
    candidates: Iterable[Any],
    claimable: ColumnElement[bool],
    read: Callable[[AnyRow], R],
    **lease: Any,
) -> R | None:
    """The first candidate row still claimable, leased with the values `lease`, as `read`
    makes it; or None."""
    for job_id in list(candidates):
        claimed = conn.execute(update(table).where(table.c.id == job_id, claimable).values(**lease))
        if claimed.rowcount == 1:
            return optional(read, conn.execute(select(table).where(table.c.id == job_id)).first())
    return None


def update_owned(
    conn: Connection, table: Table, job_id: Any, owner: str, leased: str, **values: Any
) -> bool:
    """Change a row only while `owner` holds its lease (status `leased`); True if it did."""
    result = conn.execute(
        update(table)
        .where(table.c.id == job_id, table.c.lease_owner == owner, table.c.status == leased)
        .values(**values)
    )
    return result.rowcount == 1
