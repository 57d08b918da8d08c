"""Workspaces: the unit of tenancy inside an account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, insert, select, update

from hindsight.store.keyset import SortKey
from hindsight.store.schema import activities, callback_cursors, workspaces

_default = activities.alias("default_activity")
_timeout = activities.alias("timeout_activity")

VIEW = (
    select(
        workspaces,
        _default.c.friendly_name.label("default_activity_name"),
        _timeout.c.friendly_name.label("timeout_activity_name"),
        callback_cursors.c.last_error.label("event_callback_error"),
    )
    .select_from(workspaces)
    .outerjoin(_default, _default.c.sid == workspaces.c.default_activity_sid)
    .outerjoin(_timeout, _timeout.c.sid == workspaces.c.timeout_activity_sid)
    .outerjoin(callback_cursors, callback_cursors.c.workspace_sid == workspaces.c.sid)
)

SORT = (SortKey(workspaces.c.date_created), SortKey(workspaces.c.sid))

_GET = VIEW.where(
    workspaces.c.sid == bindparam("sid"), workspaces.c.account_sid == bindparam("account")
)


def insert_workspace(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(workspaces).values(**row))


def get(conn: Connection, account_sid: str, sid: str) -> Any | None:
    return conn.execute(_GET, {"sid": sid, "account": account_sid}).first()


def lock(conn: Connection, account_sid: str, sid: str) -> Any | None:
    """The workspace row, locked for the transaction (PostgreSQL; SQLite has one writer)."""
    query = (
        select(workspaces)
        .where(workspaces.c.sid == sid, workspaces.c.account_sid == account_sid)
        .with_for_update()
    )
    return conn.execute(query).first()


def list_query(account_sid: str, friendly_name: str | None) -> Select[Any]:
    query = VIEW.where(workspaces.c.account_sid == account_sid)
    if friendly_name is not None:
        query = query.where(workspaces.c.friendly_name == friendly_name)
    return query


def update_workspace(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    conn.execute(update(workspaces).where(workspaces.c.sid == sid).values(**values))


def delete_workspace(conn: Connection, sid: str) -> None:
    conn.execute(delete(workspaces).where(workspaces.c.sid == sid))
