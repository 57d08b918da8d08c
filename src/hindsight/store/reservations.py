"""Reservations: a task offered to a worker, and what became of the offer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, insert, select, update

from hindsight.domain.reservation_lifecycle import HOLDING
from hindsight.store.filters import where_given
from hindsight.store.keyset import SortKey
from hindsight.store.records import RowLike, optional, reader
from hindsight.store.schema import reservations, workers

VIEW = (
    select(reservations, workers.c.friendly_name.label("worker_name"))
    .select_from(reservations)
    .join(workers, workers.c.sid == reservations.c.worker_sid)
)
SORT = (SortKey(reservations.c.date_created), SortKey(reservations.c.sid))


@dataclass(frozen=True)
class ReservationRecord(RowLike):
    """A reservation (one row of `reservations`), with its worker's friendly name."""

    sid: str
    account_sid: str
    workspace_sid: str
    task_sid: str
    worker_sid: str
    task_channel_sid: str
    task_queue_sid: str | None
    workflow_sid: str | None
    reservation_status: str
    timeout_at_ms: int | None  # when a pending reservation times out; None once answered
    version: int
    date_created: int
    date_updated: int
    worker_name: str


record = reader(ReservationRecord)

_HOLDING = sorted(s.value for s in HOLDING)
_INSERT = insert(reservations)
_UPDATE = update(reservations).where(reservations.c.sid == bindparam("key_sid"))
_GET = VIEW.where(reservations.c.sid == bindparam("sid"))
_OF_TASK = VIEW.where(
    reservations.c.task_sid == bindparam("task"),
    reservations.c.reservation_status.in_(bindparam("statuses", expanding=True)),
).order_by(reservations.c.date_created, reservations.c.sid)
_WORKERS_TRIED = select(reservations.c.worker_sid).where(
    reservations.c.task_sid == bindparam("task"),
    reservations.c.reservation_status.in_(("rejected", "timeout")),
)


def insert_reservation(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(_INSERT, row)


def update_reservation(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    conn.execute(_UPDATE, {**values, "key_sid": sid})


def get(conn: Connection, sid: str) -> ReservationRecord | None:
    return optional(record, conn.execute(_GET, {"sid": sid}).first())


def of_task(conn: Connection, task_sid: str, statuses: list[str]) -> list[ReservationRecord]:
    rows = conn.execute(_OF_TASK, {"task": task_sid, "statuses": statuses})
    return [record(row) for row in rows]


def workers_tried(conn: Connection, task_sid: str) -> set[str]:
    """Workers who rejected the task or let a reservation for it time out."""
    return set(conn.execute(_WORKERS_TRIED, {"task": task_sid}).scalars())


def holding_of_worker(conn: Connection, worker_sid: str) -> list[ReservationRecord]:
    query = VIEW.where(
        reservations.c.worker_sid == worker_sid,
        reservations.c.reservation_status.in_(_HOLDING),
    )
    return [record(row) for row in conn.execute(query)]


def list_query(
    workspace_sid: str, task_sid: str | None, worker_sid: str | None, status: str | None
) -> Select[Any]:
    return where_given(
        VIEW.where(reservations.c.workspace_sid == workspace_sid),
        (reservations.c.task_sid, task_sid),
        (reservations.c.worker_sid, worker_sid),
        (reservations.c.reservation_status, status),
    )


# The timers ask this five times a second: built once.
_DUE_TIMEOUTS = (
    select(reservations.c.sid, reservations.c.workspace_sid)
    .where(reservations.c.timeout_at_ms <= bindparam("now"))
    .order_by(reservations.c.timeout_at_ms)
    .limit(bindparam("limit"))
)


def due_timeouts(conn: Connection, now_ms: int, limit: int) -> list[Row[tuple[str, str]]]:
    """(sid, workspace_sid) of reservations whose timeout has passed, the oldest first."""
    return list(conn.execute(_DUE_TIMEOUTS, {"now": now_ms, "limit": limit}))
