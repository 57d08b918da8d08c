"""Recordings Hindsight holds, and the look-ups that check what a recording is linked to.

Every query is for one account: another account's recording, task or reservation is not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, delete, insert, or_, select

from hindsight.store.keyset import SortKey
from hindsight.store.records import RowLike, optional, reader
from hindsight.store.schema import (
    events,
    recordings,
    reservations,
    retired_workspaces,
    tasks,
    workspaces,
)


@dataclass(frozen=True)
class RecordingRecord(RowLike):
    """A recording Hindsight holds (one row of `recordings`); `channel_map` is its JSON text.

    A `RowLike`: the recording service and the conversation detail build their views from
    its columns by name (media/recordings.Recording.from_mapping)."""

    sid: str
    account_sid: str
    workspace_sid: str | None
    task_sid: str | None
    reservation_sid: str | None
    call_sid: str | None
    title: str | None
    blob_key: str
    format: str
    content_type: str
    size: int
    sha256: str
    duration_ms: int
    channels: int
    channel_map: str
    sample_rate: int
    start_time_ms: int | None
    date_created: int
    date_updated: int


read = reader(RecordingRecord)

# Newest first.
SORT = (
    SortKey(recordings.c.date_created, descending=True),
    SortKey(recordings.c.sid, descending=True),
)


def insert_recording(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(recordings), row)


def get(conn: Connection, account_sid: str, sid: str) -> RecordingRecord | None:
    query = select(recordings).where(
        recordings.c.account_sid == account_sid, recordings.c.sid == sid
    )
    return optional(read, conn.execute(query).first())


def delete_recording(conn: Connection, account_sid: str, sid: str) -> bool:
    result = conn.execute(
        delete(recordings).where(recordings.c.account_sid == account_sid, recordings.c.sid == sid)
    )
    return result.rowcount > 0


def list_query(
    account_sid: str,
    task_sid: str | None = None,
    reservation_sid: str | None = None,
    call_sid: str | None = None,
) -> Select[Any]:
    query = select(recordings).where(recordings.c.account_sid == account_sid)
    for column, value in (
        (recordings.c.task_sid, task_sid),
        (recordings.c.reservation_sid, reservation_sid),
        (recordings.c.call_sid, call_sid),
    ):
        if value is not None:
            query = query.where(column == value)
    return query


def linked(
    conn: Connection,
    account_sid: str,
    task_sids: Sequence[str],
    reservation_sids: Sequence[str],
    call_sids: Sequence[str],
) -> list[RecordingRecord]:
    """An account's recordings linked to any of these tasks, reservations or calls, oldest first."""
    matches = [
        column.in_(list(values))
        for column, values in (
            (recordings.c.task_sid, task_sids),
            (recordings.c.reservation_sid, reservation_sids),
            (recordings.c.call_sid, call_sids),
        )
        if values
    ]
    if not matches:
        return []
    query = (
        select(recordings)
        .where(recordings.c.account_sid == account_sid, or_(*matches))
        .order_by(recordings.c.date_created, recordings.c.sid)
    )
    return [read(row) for row in conn.execute(query)]


def linked_by_sid(conn: Connection, account_sid: str, sids: Sequence[str]) -> list[RecordingRecord]:
    """Those of these recordings the account holds."""
    if not sids:
        return []
    query = select(recordings).where(
        recordings.c.account_sid == account_sid, recordings.c.sid.in_(list(sids))
    )
    return [read(row) for row in conn.execute(query)]


# --- what a recording may be linked to --------------------------------------------------------


@dataclass(frozen=True)
class Linked:
    workspace_sid: str
    task_sid: str | None


def task(conn: Connection, account_sid: str, task_sid: str) -> Linked | None:
    """A task of the account: a live one, or one its event log knows (deleted, mirrored)."""
    row = conn.execute(
        select(tasks.c.workspace_sid).where(
            tasks.c.sid == task_sid, tasks.c.account_sid == account_sid
        )
    ).first()
    if row is None:
        row = conn.execute(
            select(events.c.workspace_sid)
            .where(events.c.task_sid == task_sid, events.c.account_sid == account_sid)
            .limit(1)
        ).first()
    return None if row is None else Linked(row.workspace_sid, task_sid)


def reservation(conn: Connection, account_sid: str, reservation_sid: str) -> Linked | None:
    """A reservation of the account and its task (live, or known to the event log)."""
    row = conn.execute(
        select(reservations.c.workspace_sid, reservations.c.task_sid).where(
            reservations.c.sid == reservation_sid, reservations.c.account_sid == account_sid
        )
    ).first()
    if row is None:
        row = conn.execute(
            select(events.c.workspace_sid, events.c.task_sid)
            .where(
                events.c.reservation_sid == reservation_sid,
                events.c.account_sid == account_sid,
                events.c.task_sid.is_not(None),
            )
            .limit(1)
        ).first()
    return None if row is None else Linked(row.workspace_sid, row.task_sid)


def workspace_known(conn: Connection, account_sid: str, workspace_sid: str) -> bool:
    """A workspace of the account, current or deleted."""
    for table in (workspaces, retired_workspaces):
        found = conn.execute(
            select(table.c.sid).where(
                table.c.sid == workspace_sid, table.c.account_sid == account_sid
            )
        ).first()
        if found is not None:
            return True
    return False


def blob_keys(conn: Connection) -> set[str]:
    """The object-store keys every recording names."""
    return set(conn.execute(select(recordings.c.blob_key)).scalars())
