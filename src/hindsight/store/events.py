"""The event log: append-only, in positions from one counter, read up to its horizon.

Positions come from one counter for all workspaces (a sequence on PostgreSQL, a one-row table
on SQLite) rather than a per-workspace number kept on the workspace row: bumping that row held
its lock until commit, so every writer to a workspace, in every process, queued behind the one
before. A sequence is never locked, but on PostgreSQL positions are then handed out in the
order transactions *reach* the append, not the order they commit: position 11 may be visible
while 10's transaction is still in flight. Readers therefore read only up to the log's
**horizon** (`LogHorizon`), the highest position below which no transaction still in flight
can add an event, so a follower that moves its cursor never steps over one that lands later.

Positions respect causality: a transaction appends after taking the row locks of what it
changes, so one that waited for another's lock appends after that one committed.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, func, insert, select, text, update

from hindsight.store.direct import DirectStatement
from hindsight.store.filters import where_given
from hindsight.store.keyset import SortKey
from hindsight.store.records import RowLike, optional, reader
from hindsight.store.schema import event_positions, events


@dataclass(frozen=True)
class EventRecord(RowLike):
    """An event of the log, as the Events resource shows it (one row of `events`)."""

    sid: str
    account_sid: str
    workspace_sid: str
    seq: int
    event_type: str
    resource_type: str
    resource_sid: str
    actor_type: str | None
    actor_sid: str | None
    description: str
    event_data: str  # JSON object
    event_date_ms: int
    source: str
    source_ip_address: str | None


record = reader(EventRecord)

# Newest first, as TaskRouter lists events.
SORT = (SortKey(events.c.seq, descending=True),)

# A horizon no position reaches: on SQLite every committed position is final (one writer).
UNBOUNDED = 2**62

_INSERT = insert(events)
# The position draw and a one-event insert are on every write's path (a task update): sent
# directly to the driver (store.direct).
_INSERT_ONE = DirectStatement(_INSERT)
_SQLITE_NEXT = DirectStatement(
    update(event_positions)
    .where(event_positions.c.id == 1)
    .values(last=event_positions.c.last + bindparam("count"))
    .returning(event_positions.c.last)
)
# PostgreSQL's sequence steps by a block (migration 0010): one draw reserves BLOCK positions
# for the transaction, so the events it appends (a task's creation and its routing into a
# queue, appended separately) stay adjacent even while other transactions draw; unused
# positions are simply never seen.
BLOCK = 64
# The transaction must hold an id before it draws a position: the horizon's proof that every
# position it covers is settled rests on "drawn before the probe" implying "xid below it". The
# id is taken in the same statement, in a one-time filter (pg_current_xact_id is stable), which
# the executor evaluates before it produces the first row, so before the first nextval: one
# round trip per append instead of two, while the transaction holds its row locks.
_PG_NEXT = DirectStatement(
    text(
        "SELECT nextval('event_positions') FROM generate_series(1, :count) "
        "WHERE pg_current_xact_id() IS NOT NULL"
    )
)
# The last position drawn (L), then a fresh transaction id (X, the probe), in one statement run
# outside a transaction: the sequence's row is read by the scan before the target list takes
# the id, so X is taken after L was read, as the horizon's proof needs. The probe writes
# nothing, but holding an id makes its commit write a commit record; committed with a
# synchronous flush, every probe was a WAL flush competing with the requests' commits.
# It need not be durable: a probe lost in a crash goes with the process memory that used it.
_PG_DRAWN_THEN_PROBE = text(
    f"SELECT CASE WHEN is_called THEN last_value + {BLOCK - 1} ELSE last_value - 1 END, "
    "set_config('synchronous_commit', 'off', true), "
    "pg_current_xact_id()::text::bigint "
    "FROM event_positions"
)
# The transaction ids still running in this database, read after the probe. Not a snapshot's
# xmin: that counts every database of the cluster, so a long transaction in another database
# (a report, a backup) would hold Hindsight's followers back for its whole length. They are
# 32-bit ids (the probe is 64-bit, with the epoch), compared as PostgreSQL does, modulo 2^32.
_PG_RUNNING = text(
    "SELECT backend_xid::text::bigint FROM pg_stat_activity "
    "WHERE datname = current_database() AND backend_xid IS NOT NULL"
)
_XID_MASK = 0xFFFFFFFF


def _precedes(xid: int, other: int) -> bool:
    """Whether 32-bit transaction id `xid` is older than `other` (wrap-around aware)."""
    return xid != other and ((xid - other) & _XID_MASK) > 0x7FFFFFFF


def _settled(probe: int, running: list[int]) -> bool:
    """No transaction still running began before the probe took its id."""
    mine = probe & _XID_MASK
    return not any(_precedes(xid, mine) for xid in running)


_SETTLE_TRIES = 2
# What is left of the block this connection's current transaction drew: (transaction, next, end).
_BLOCK_KEY = "hindsight.event_block"
_HEAD = select(func.max(events.c.seq)).where(events.c.workspace_sid == bindparam("ws"))


def allocate_positions(conn: Connection, count: int) -> list[int]:
    """`count` increasing log positions for events this transaction is about to insert."""
    if conn.dialect.name == "sqlite":
        (last,) = _SQLITE_NEXT.scalars(conn, {"count": count})
        return list(range(last - count + 1, last + 1))
    transaction = conn.get_transaction()
    held = conn.info.get(_BLOCK_KEY)
    if held is not None and held[0] is transaction and held[1] + count <= held[2]:
        start = held[1]
        conn.info[_BLOCK_KEY] = (transaction, start + count, held[2])
        return list(range(start, start + count))
    draws = -(-count // BLOCK)
    blocks = sorted(int(p) for p in _PG_NEXT.scalars(conn, {"count": draws}))
    positions = [start + i for start in blocks for i in range(BLOCK)]
    conn.info[_BLOCK_KEY] = (
        transaction,
        blocks[-1] + count - (draws - 1) * BLOCK,
        positions[-1] + 1,
    )
    return positions[:count]


def insert_events(conn: Connection, rows: list[dict[str, Any]]) -> None:
    # One row (most appends: a task update's one event) as a plain execute: the executemany
    # path costs more in SQLAlchemy and the driver for nothing.
    if len(rows) == 1:
        _INSERT_ONE.execute(conn, rows[0])
    else:
        conn.execute(_INSERT, rows)


def head(conn: Connection, workspace_sid: str) -> int:
    """The position of the newest committed event of a workspace (0 for none)."""
    return int(conn.execute(_HEAD, {"ws": workspace_sid}).scalar() or 0)


def get(conn: Connection, workspace_sid: str, sid: str) -> EventRecord | None:
    query = select(events).where(events.c.sid == sid, events.c.workspace_sid == workspace_sid)
    return optional(record, conn.execute(query).first())


def list_query(workspace_sid: str, filters: EventQuery) -> Select[Any]:
    """The Events list's SQL filters: a window of event dates and columns equal to values."""
    query = select(events).where(
        events.c.workspace_sid == workspace_sid, events.c.event_date_ms >= filters.start_ms
    )
    if filters.end_ms is not None:
        query = query.where(events.c.event_date_ms <= filters.end_ms)
    return where_given(query, *((events.c[name], value) for name, value in filters.equal.items()))


@dataclass(frozen=True)
class EventQuery:
    """What the Events list selects: [start_ms, end_ms] and columns (by name) equal to values."""

    start_ms: int
    end_ms: int | None
    equal: dict[str, str]


def after(
    conn: Connection, workspace_sid: str, seq: int, limit: int, upto: int = UNBOUNDED
) -> list[Row[Any]]:
    """Events of a workspace after position `seq` up to `upto` (a horizon), oldest first:
    how consumers follow the log."""
    query = (
        select(events)
        .where(events.c.workspace_sid == workspace_sid, events.c.seq > seq, events.c.seq <= upto)
        .order_by(events.c.seq)
        .limit(limit)
    )
    return list(conn.execute(query))


def follow(
    conn: Connection, horizon: LogHorizon, workspace_sid: str, seq: int, limit: int
) -> list[Row[Any]]:
    """The next events of a workspace a follower may take: after `seq`, up to the horizon."""
    upto = horizon.advance(conn)
    for _ in range(_SETTLE_TRIES):
        if horizon.settled:
            break
        # With no writer in flight, the probe just taken settles at the next look.
        upto = horizon.advance(conn)
    return after(conn, workspace_sid, seq, limit, upto)


class LogHorizon:
    """Where followers of the log may read up to; one per process, shared by its followers.

    On PostgreSQL each call notes the last position drawn (L) and then takes a new transaction
    id (X, the probe). Every position up to L was drawn by a
    transaction of this database that held its id before L was read, so below X. Once no
    transaction of this database with an id below X is running, all of those have committed
    or rolled back, so L is final. (A snapshot's xmax would not do as X: it is one past the
    latest *completed* id, and transactions with ids above it may be running.) The horizon
    thus trails the log by the length of the transactions in flight (milliseconds), and a
    call with none in flight settles what it noted at once; `settled` says whether it has.

    Each call spends one transaction id; followers call it once per pass, not per event.
    """

    _KEEP = 1024

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: deque[tuple[int, int]] = deque()
        self._horizon = 0
        self.settled = True

    def advance(self, conn: Connection) -> int:
        if conn.dialect.name == "sqlite":
            return UNBOUNDED
        drawn_row = conn.execute(_PG_DRAWN_THEN_PROBE).one()
        drawn, probe = int(drawn_row[0]), int(drawn_row[2])
        running = [int(xid) for xid in conn.execute(_PG_RUNNING).scalars()]
        with self._lock:
            self._pending.append((drawn, probe))
            while self._pending and _settled(self._pending[0][1], running):
                self._horizon = max(self._horizon, self._pending.popleft()[0])
            while len(self._pending) > self._KEEP:
                self._pending.popleft()
            self.settled = not self._pending or self._pending[-1][0] <= self._horizon
            return self._horizon
