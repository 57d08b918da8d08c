"""Workers and their per-channel capacity."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    Select,
    bindparam,
    delete,
    insert,
    or_,
    select,
    tuple_,
    update,
)

from hindsight.store.filters import where_given
from hindsight.store.keyset import SortKey
from hindsight.store.records import RowLike, optional, reader
from hindsight.store.schema import activities, task_channels, worker_channels, workers, workspaces

VIEW = (
    select(
        workers,
        activities.c.friendly_name.label("activity_name"),
        activities.c.available.label("available"),
    )
    .select_from(workers)
    .join(activities, activities.c.sid == workers.c.activity_sid)
)


@dataclass(frozen=True)
class WorkerRecord(RowLike):
    """A worker (one row of `workers`), with the name of its activity and whether that
    activity makes it available."""

    sid: str
    account_sid: str
    workspace_sid: str
    friendly_name: str
    attributes: str  # JSON object
    activity_sid: str
    date_status_changed: int
    last_reserved_ms: int  # 0: never reserved
    holding: int  # reservations holding the worker, on any channel
    version: int
    date_created: int
    date_updated: int
    activity_name: str
    available: bool


@dataclass(frozen=True)
class WorkerChannelRecord(RowLike):
    """A worker's capacity on one task channel (one row of `worker_channels`), with the
    channel's unique name."""

    sid: str
    account_sid: str
    workspace_sid: str
    worker_sid: str
    task_channel_sid: str
    configured_capacity: int
    available: bool
    assigned_tasks: int  # reservations holding this channel
    date_created: int
    date_updated: int
    task_channel_unique_name: str


record = reader(WorkerRecord)
channel_record = reader(WorkerChannelRecord)

_GET = VIEW.where(workers.c.sid == bindparam("sid"), workers.c.workspace_sid == bindparam("ws"))
_GET_FOR_UPDATE = _GET.with_for_update(of=workers)

SORT = (SortKey(workers.c.date_created), SortKey(workers.c.sid))
SORT_BY_NAME = (SortKey(workers.c.friendly_name), SortKey(workers.c.sid))
# Columns the Workers list may be ordered by (Twilio's `Ordering` names).
ORDERABLE = {
    "DateCreated": workers.c.date_created,
    "DateStatusChanged": workers.c.date_status_changed,
    "FriendlyName": workers.c.friendly_name,
}

CHANNEL_VIEW = (
    select(worker_channels, task_channels.c.unique_name.label("task_channel_unique_name"))
    .select_from(worker_channels)
    .join(task_channels, task_channels.c.sid == worker_channels.c.task_channel_sid)
)
CHANNEL_SORT = (SortKey(worker_channels.c.date_created), SortKey(worker_channels.c.sid))


def insert_worker(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(workers).values(**row))


def get(
    conn: Connection, workspace_sid: str, sid: str, *, for_update: bool = False
) -> WorkerRecord | None:
    query = _GET_FOR_UPDATE if for_update else _GET
    return optional(record, conn.execute(query, {"sid": sid, "ws": workspace_sid}).first())


def get_by_name(conn: Connection, workspace_sid: str, friendly_name: str) -> WorkerRecord | None:
    query = VIEW.where(
        workers.c.workspace_sid == workspace_sid, workers.c.friendly_name == friendly_name
    )
    return optional(record, conn.execute(query).first())


def filtered_query(
    workspace_sid: str,
    *,
    activity_name: str | None,
    activity_sid: str | None,
    available: bool | None,
    friendly_name: str | None,
) -> Select[Any]:
    return where_given(
        VIEW.where(workers.c.workspace_sid == workspace_sid),
        (activities.c.friendly_name, activity_name),
        (workers.c.activity_sid, activity_sid),
        (activities.c.available, available),
        (workers.c.friendly_name, friendly_name),
    )


# The SET clause comes from the keys given at execution: built once, not per call (building
# an UPDATE costs more than running it on SQLite, and routing updates a worker per reservation).
_UPDATE = update(workers).where(workers.c.sid == bindparam("key_sid"))


def update_worker(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    conn.execute(_UPDATE, {**values, "key_sid": sid})


def delete_worker(conn: Connection, sid: str) -> None:
    conn.execute(delete(workers).where(workers.c.sid == sid))


def all_in_workspace(conn: Connection, workspace_sid: str) -> list[WorkerRecord]:
    return [
        record(row) for row in conn.execute(VIEW.where(workers.c.workspace_sid == workspace_sid))
    ]


def worker_sids(conn: Connection, workspace_sid: str) -> list[str]:
    query = select(workers.c.sid).where(workers.c.workspace_sid == workspace_sid)
    return list(conn.execute(query).scalars())


def insert_channels(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(worker_channels), rows)


def get_channel(conn: Connection, worker_sid: str, key: str) -> WorkerChannelRecord | None:
    """A worker channel by its WC sid, or by the TC sid or unique name of its task channel."""
    query = CHANNEL_VIEW.where(worker_channels.c.worker_sid == worker_sid).where(
        (worker_channels.c.sid == key)
        | (worker_channels.c.task_channel_sid == key)
        | (task_channels.c.unique_name == key)
    )
    return optional(channel_record, conn.execute(query).first())


def channels_query(worker_sid: str) -> Select[Any]:
    return CHANNEL_VIEW.where(worker_channels.c.worker_sid == worker_sid)


def update_channel(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    conn.execute(update(worker_channels).where(worker_channels.c.sid == sid).values(**values))


_WITH_CHANNEL = (
    select(
        workers,
        activities.c.friendly_name.label("activity_name"),
        activities.c.available.label("available"),
        worker_channels.c.configured_capacity,
        worker_channels.c.assigned_tasks,
        worker_channels.c.available.label("channel_available"),
    )
    .select_from(workers)
    .join(activities, activities.c.sid == workers.c.activity_sid)
    .join(worker_channels, worker_channels.c.worker_sid == workers.c.sid)
    .where(worker_channels.c.task_channel_sid == bindparam("channel"))
)
_AVAILABLE = _WITH_CHANNEL.where(
    workers.c.workspace_sid == bindparam("ws"),
    activities.c.available.is_(True),
    worker_channels.c.available.is_(True),
)
# Longest idle first: never reserved (0), then least recently reserved; ix_workers_idle
# serves this order, so the first qualifying workers are found without sorting them all.
_IDLE_ORDER = (workers.c.last_reserved_ms, workers.c.date_created, workers.c.sid)
_WITH_ROOM_MULTI = _AVAILABLE.where(
    worker_channels.c.configured_capacity > worker_channels.c.assigned_tasks
).order_by(*_IDLE_ORDER)
_WITH_ROOM_SINGLE = _AVAILABLE.where(
    worker_channels.c.configured_capacity > 0, workers.c.holding == 0
).order_by(*_IDLE_ORDER)
_ONE_ON_CHANNEL = _WITH_CHANNEL.where(workers.c.sid == bindparam("sid"))
_ADJUST_CHANNEL = (
    update(worker_channels)
    .where(
        worker_channels.c.worker_sid == bindparam("worker"),
        worker_channels.c.task_channel_sid == bindparam("channel"),
    )
    .values(assigned_tasks=worker_channels.c.assigned_tasks + bindparam("delta"))
)
_ADJUST_WORKER = (
    update(workers)
    .where(workers.c.sid == bindparam("worker"))
    .values(holding=workers.c.holding + bindparam("delta"))
)
# A reservation made: one more holding the worker, and the worker is now the most recently
# reserved (the idle order routing offers work in), in one statement.
_RESERVE_WORKER = (
    update(workers)
    .where(workers.c.sid == bindparam("worker"))
    .values(holding=workers.c.holding + 1, last_reserved_ms=bindparam("now"))
)


_AFTER = tuple_(*_IDLE_ORDER) > tuple_(bindparam("r"), bindparam("d"), bindparam("s"))
_WITH_ROOM_PAGES = {
    (multitask, keyset): (query.where(_AFTER) if keyset else query).limit(bindparam("limit"))
    for multitask, query in ((True, _WITH_ROOM_MULTI), (False, _WITH_ROOM_SINGLE))
    for keyset in (False, True)
}


# Routing's reads below return rows, not records: the engine reads workers with their
# channel's load (a projection of its own) in its hot loop, where building records costs.


def with_room(
    conn: Connection, workspace_sid: str, channel_sid: str, multitask: bool
) -> Iterator[Row[Any]]:
    """Workers who could take a task on this channel now, longest idle first, as a stream
    (routing usually needs only the first few that qualify)."""
    query = _WITH_ROOM_MULTI if multitask else _WITH_ROOM_SINGLE
    yield from conn.execute(query, {"ws": workspace_sid, "channel": channel_sid})


def with_room_page(
    conn: Connection,
    workspace_sid: str,
    channel_sid: str,
    multitask: bool,
    after: tuple[int, int, str] | None,
    limit: int,
) -> list[Row[Any]]:
    """A page of `with_room`, after (last_reserved_ms, date_created, sid) of the previous
    page's last worker: read along ix_workers_idle, so routing reads only the few workers
    it needs, not every worker with room."""
    params: dict[str, Any] = {"ws": workspace_sid, "channel": channel_sid, "limit": limit}
    if after is not None:
        params["r"], params["d"], params["s"] = after
    return list(conn.execute(_WITH_ROOM_PAGES[(multitask, after is not None)], params))


def one_on_channel(conn: Connection, worker_sid: str, channel_sid: str) -> Row[Any] | None:
    return conn.execute(_ONE_ON_CHANNEL, {"sid": worker_sid, "channel": channel_sid}).first()


# Row locks routing takes before it reserves a worker, in the order every load change takes
# them (adjust_load: the channel row, then the worker row), so two transactions changing one
# worker's load queue behind each other instead of deadlocking.
_LOCK_CHANNEL = (
    select(worker_channels.c.sid)
    .where(
        worker_channels.c.worker_sid == bindparam("sid"),
        worker_channels.c.task_channel_sid == bindparam("channel"),
    )
    .with_for_update()
)
_LOCK_WORKER = select(workers.c.sid).where(workers.c.sid == bindparam("sid")).with_for_update()


def lock_on_channel(conn: Connection, worker_sid: str, channel_sid: str) -> Row[Any] | None:
    """The worker with its channel, as `one_on_channel`, read after locking both rows.

    Whatever another transaction committed for this worker before the locks were granted is
    in the row returned (each statement reads the latest commit under READ COMMITTED), and
    nobody changes its load until this transaction ends. SQLite has no row locks and needs
    none (its writers run one at a time), so there the lock statements are not sent: two
    statements fewer per reservation.
    """
    params = {"sid": worker_sid, "channel": channel_sid}
    if conn.dialect.name != "sqlite":
        if conn.execute(_LOCK_CHANNEL, params).first() is None:
            return None
        conn.execute(_LOCK_WORKER, params)
    return conn.execute(_ONE_ON_CHANNEL, params).first()


def channels_of(conn: Connection, worker_sid: str) -> list[WorkerChannelRecord]:
    return [channel_record(row) for row in conn.execute(channels_query(worker_sid))]


def reserve_load(conn: Connection, worker_sid: str, channel_sid: str, now: int) -> None:
    """A reservation started holding the worker on a channel at `now`: `adjust_load(+1)`, and
    the worker's last reservation is `now` (two statements, the channel row first)."""
    conn.execute(_ADJUST_CHANNEL, {"worker": worker_sid, "channel": channel_sid, "delta": 1})
    conn.execute(_RESERVE_WORKER, {"worker": worker_sid, "now": now})


def adjust_load(conn: Connection, worker_sid: str, channel_sid: str, delta: int) -> None:
    """A reservation started (+1) or stopped (-1) holding the worker on a channel."""
    params = {"worker": worker_sid, "channel": channel_sid, "delta": delta}
    conn.execute(_ADJUST_CHANNEL, params)
    conn.execute(_ADJUST_WORKER, params)


@dataclass(frozen=True, slots=True)
class NamedWorker:
    """A worker a name may stand for: its SID, friendly name and attributes (JSON text)."""

    sid: str
    friendly_name: str
    attributes: str


_read_named = reader(NamedWorker)


def named_in_account(conn: Connection, account_sid: str, names: set[str]) -> list[NamedWorker]:
    """Workers of the account's workspaces that may go by one of `names` (their SID, friendly
    name, or a name inside their attributes such as contact_uri): candidates for the caller
    to confirm, with `sid`, `friendly_name` and `attributes`."""
    if not names:
        return []
    mentioned = [
        workers.c.attributes.like(f"%{_escape_like(name)}%", escape="\\") for name in names
    ]
    query = (
        select(workers.c.sid, workers.c.friendly_name, workers.c.attributes)
        .where(
            workers.c.workspace_sid.in_(
                select(workspaces.c.sid).where(workspaces.c.account_sid == account_sid)
            )
        )
        .where(or_(workers.c.friendly_name.in_(names), workers.c.sid.in_(names), *mentioned))
    )
    return [_read_named(row) for row in conn.execute(query)]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
