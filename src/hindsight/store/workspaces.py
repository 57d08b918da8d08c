"""Workspaces: the unit of tenancy inside an account."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, delete, insert, select, update

from hindsight.store.filters import where_given
from hindsight.store.keyset import SortKey
from hindsight.store.schema import activities, callback_cursors, retired_workspaces, workspaces

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


@dataclass(frozen=True)
class WorkspaceRecord:
    """A workspace (one row of `workspaces`), with the names of its default and timeout
    activities and why the last delivery to its event callback URL failed (None if it did not).
    """

    sid: str
    account_sid: str
    friendly_name: str
    event_callback_url: str | None
    events_filter: str | None  # JSON list of event types, or None for every type
    multi_task_enabled: bool
    prioritize_queue_order: str
    default_activity_sid: str | None
    timeout_activity_sid: str | None
    mirror_source: str | None  # the Twilio source mirrored, None when Hindsight routes it
    date_created: int
    date_updated: int
    default_activity_name: str | None
    timeout_activity_name: str | None
    event_callback_error: str | None


_RECORD_FIELDS = tuple(f.name for f in fields(WorkspaceRecord))


def record(row: Row[Any]) -> WorkspaceRecord:
    """The workspace in `row`, a row of `VIEW`."""
    values = row._mapping
    return WorkspaceRecord(**{name: values[name] for name in _RECORD_FIELDS})


_GET = VIEW.where(
    workspaces.c.sid == bindparam("sid"), workspaces.c.account_sid == bindparam("account")
)


def insert_workspace(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(workspaces).values(**row))


def get(conn: Connection, account_sid: str, sid: str) -> WorkspaceRecord | None:
    row = conn.execute(_GET, {"sid": sid, "account": account_sid}).first()
    return None if row is None else record(row)


def lock(conn: Connection, account_sid: str, sid: str) -> WorkspaceRecord | None:
    """The workspace, locked for the transaction (PostgreSQL; SQLite has one writer)."""
    query = (
        select(workspaces.c.sid)
        .where(workspaces.c.sid == sid, workspaces.c.account_sid == account_sid)
        .with_for_update()
    )
    if conn.execute(query).first() is None:
        return None
    return get(conn, account_sid, sid)


def list_query(account_sid: str, friendly_name: str | None) -> Select[Any]:
    query = VIEW.where(workspaces.c.account_sid == account_sid)
    return where_given(query, (workspaces.c.friendly_name, friendly_name))


def update_workspace(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    conn.execute(update(workspaces).where(workspaces.c.sid == sid).values(**values))


def delete_workspace(conn: Connection, sid: str) -> None:
    conn.execute(delete(workspaces).where(workspaces.c.sid == sid))


def retire(conn: Connection, workspace: WorkspaceRecord, last_seq: int, now_ms: int) -> None:
    """Note that the workspace is deleted and its log, kept, ends at `last_seq`."""
    conn.execute(
        insert(retired_workspaces).values(
            sid=workspace.sid,
            account_sid=workspace.account_sid,
            last_seq=last_seq,
            retired_ms=now_ms,
        )
    )
