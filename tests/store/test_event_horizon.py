"""Followers of the event log never step over an event that commits after a later one.

Positions come from one counter without a lock held until commit, so on PostgreSQL a later
position can be visible while an earlier one's transaction is still open; followers read only
up to the horizon. These tests hold transactions open on purpose and race writers against a
follower on both stores.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest
from sqlalchemy import Connection, select

from hindsight.domain.sids import Prefix, new_sid
from hindsight.store import events as event_store
from hindsight.store.database import Database
from hindsight.store.schema import events
from tests.support.waiting import wait_for

WORKSPACE = "WS" + "0" * 32
ACCOUNT = "AC" + "0" * 32


def _append(conn: Connection, label: str) -> int:
    [position] = event_store.allocate_positions(conn, 1)
    event_store.insert_events(
        conn,
        [
            {
                "sid": new_sid(Prefix.EVENT),
                "account_sid": ACCOUNT,
                "workspace_sid": WORKSPACE,
                "seq": position,
                "event_type": "task.updated",
                "resource_type": "task",
                "resource_sid": "WT" + "0" * 32,
                "description": label,
                "event_data": "{}",
                "event_date_ms": 0,
                "source": "test",
            }
        ],
    )
    return position


def _follow(db: Database, horizon: event_store.LogHorizon, after: int) -> list[Any]:
    return db.read_sync(lambda conn: event_store.follow(conn, horizon, WORKSPACE, after, 1000))


def _settle(db: Database, horizon: event_store.LogHorizon, after: int, want: int) -> list[Any]:
    """Follow until `want` events arrived (the horizon trails commits by a statement)."""
    seen: list[Any] = []

    def arrived() -> bool:
        seen.extend(_follow(db, horizon, seen[-1].seq if seen else after))
        return len(seen) >= want

    wait_for(arrived, f"{want} events followed", timeout=5, interval=0.01)
    return seen


def test_a_later_position_waits_until_an_open_earlier_one_commits(db: Database) -> None:
    horizon = event_store.LogHorizon()
    if db.sqlite:
        # One writer at a time: a position is drawn and committed before the next is drawn.
        db.write_sync(lambda conn: _append(conn, "first"))
        assert [e.description for e in _settle(db, horizon, 0, 1)] == ["first"]
        return
    with db.write_engine.connect() as early:
        early.begin()
        first = _append(early, "early")
        second = db.write_sync(lambda conn: _append(conn, "late"))
        assert second > first
        # The late event is committed and visible, but the early one may still land before it.
        for _ in range(5):
            assert _follow(db, horizon, 0) == []
        early.commit()
    seen = _settle(db, horizon, 0, 2)
    assert [e.description for e in seen] == ["early", "late"]


def test_a_rolled_back_position_does_not_hold_followers_back(db: Database) -> None:
    horizon = event_store.LogHorizon()
    with db.write_engine.connect() as doomed:
        doomed.begin()
        _append(doomed, "doomed")
        if not db.sqlite:
            db.write_sync(lambda conn: _append(conn, "kept"))
            assert _follow(db, horizon, 0) == []
        doomed.rollback()
    if db.sqlite:
        db.write_sync(lambda conn: _append(conn, "kept"))
    assert [e.description for e in _settle(db, horizon, 0, 1)] == ["kept"]


def test_a_follower_racing_concurrent_writers_sees_every_event_once_in_order(
    db: Database,
) -> None:
    writers, per_writer = 6, 25
    done = threading.Event()
    seen: list[Any] = []
    horizon = event_store.LogHorizon()

    def write(n: int) -> None:
        rng = random.Random(n)
        for i in range(per_writer):

            def unit(conn: Connection, i: int = i) -> None:
                _append(conn, f"{n}-{i}")
                # Hold the position a while so others commit later positions meanwhile.
                time.sleep(rng.random() * 0.004)

            db.write_sync(unit)

    def caught_up() -> bool:
        finished = done.is_set()
        batch = _follow(db, horizon, seen[-1].seq if seen else 0)
        seen.extend(batch)
        return finished and not batch and horizon.settled

    def follow() -> None:
        # Following as fast as it can while the writers race it, until they are done and it
        # has read everything (the test below fails if that does not happen).
        wait_for(caught_up, "the follower to catch up with finished writers", 120, 0.001)

    follower = threading.Thread(target=follow)
    follower.start()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    follower.join(timeout=30)
    assert not follower.is_alive()

    stored = db.read_sync(
        lambda conn: list(conn.execute(select(events.c.seq, events.c.description)))
    )
    assert len(stored) == writers * per_writer
    assert [e.seq for e in seen] == sorted(seq for seq, _ in stored)
    assert len({e.description for e in seen}) == writers * per_writer


def test_one_append_gets_adjacent_positions_while_others_draw(db: Database) -> None:
    if not db.sqlite:
        increment = db.read_sync(
            lambda conn: conn.exec_driver_sql(
                "SELECT increment_by FROM pg_sequences WHERE sequencename = 'event_positions'"
            ).scalar_one()
        )
        assert increment == event_store.BLOCK
    with db.write_engine.connect() as first:
        first.begin()
        one = event_store.allocate_positions(first, 3)
        if db.sqlite:
            first.commit()
        other = db.write_sync(lambda conn: event_store.allocate_positions(conn, 2))
        more = event_store.allocate_positions(first, event_store.BLOCK + 5) if not db.sqlite else []
        if first.in_transaction():
            first.commit()
    assert one == list(range(one[0], one[0] + 3))
    assert other == list(range(other[0], other[0] + 2))
    assert not set(one) & set(other)
    if more:
        assert len(more) == len(set(more)) == event_store.BLOCK + 5
        assert more == sorted(more) and more[0] > other[-1]


def test_transaction_ids_compare_across_wrap_around() -> None:
    # PostgreSQL's 32-bit ids wrap: just below 2^32 comes before just above 0.
    assert event_store._precedes(0xFFFFFFF0, 5)
    assert not event_store._precedes(5, 0xFFFFFFF0)
    assert event_store._precedes(100, 200) and not event_store._precedes(200, 100)
    assert not event_store._precedes(7, 7)
    # A probe carries its epoch; running ids do not.
    probe = (3 << 32) | 1_000
    assert not event_store._settled(probe, [999])
    assert event_store._settled(probe, [1_001, 1_000])
    assert event_store._settled(probe, [])


def test_the_horizon_probe_leaves_commits_durable(db: Database) -> None:
    """The probe commits without waiting for a flush, for itself only: the pooled connection
    it ran on goes on to commit requests' writes, and those must stay durable."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite followers take no probe: every committed position is final")

    def probe_then_setting(conn: Connection) -> str:
        event_store.LogHorizon().advance(conn)
        return str(conn.exec_driver_sql("SHOW synchronous_commit").scalar_one())

    assert db.read_sync(probe_then_setting) == "on"


def test_drawing_a_position_gives_the_transaction_its_id_first(db: Database) -> None:
    """A transaction that has written nothing yet still holds an id once it has positions
    (taken by the same statement that draws them), so the horizon's probe orders it."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite positions need no transaction id: one writer at a time")

    def draw_then_id(conn: Connection) -> tuple[int | None, int]:
        before = conn.exec_driver_sql("SELECT pg_current_xact_id_if_assigned()::text").scalar()
        assert before is None
        [position] = event_store.allocate_positions(conn, 1)
        xid = conn.exec_driver_sql("SELECT pg_current_xact_id_if_assigned()::text").scalar()
        return (int(xid) if xid is not None else None), position

    with db.write_engine.connect() as conn, conn.begin():
        xid, position = draw_then_id(conn)
    assert xid is not None and position > 0
