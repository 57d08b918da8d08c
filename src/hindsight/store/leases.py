"""Leases: which process does a piece of background work, renewed while it does."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, case, delete, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hindsight.store.schema import leases

_TAKE = (
    update(leases)
    .where(
        leases.c.name == bindparam("lease"),
        or_(leases.c.owner == bindparam("me"), leases.c.until_ms < bindparam("now")),
    )
    .values(
        owner=bindparam("me"),
        until_ms=bindparam("until"),
        # A renewal keeps the time the holder first took it; a takeover starts afresh.
        acquired_ms=case(
            (leases.c.owner == bindparam("me"), leases.c.acquired_ms), else_=bindparam("now")
        ),
    )
)


def acquire(conn: Connection, name: str, owner: str, now_ms: int, until_ms: int) -> bool:
    """Take or renew lease `name` for `owner` until `until_ms`; False if another holds it."""
    values = {"lease": name, "me": owner, "now": now_ms, "until": until_ms}
    if conn.execute(_TAKE, values).rowcount == 1:
        return True
    dialect_insert = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    first = (
        dialect_insert(leases)
        .values(name=name, owner=owner, until_ms=until_ms, acquired_ms=now_ms)
        .on_conflict_do_nothing()
    )
    return conn.execute(first).rowcount == 1


def release(conn: Connection, name: str, owner: str) -> None:
    """Give the lease up at once (a clean stop), so another process need not wait it out."""
    conn.execute(delete(leases).where(leases.c.name == name, leases.c.owner == owner))
