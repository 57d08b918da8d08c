"""Routing's invariants when two routing passes decide at the same moment.

Two processes (or hosts) on one PostgreSQL database each run a router and timers; nothing
serialises them but the database. These tests drive two routing units at once against one
database, interleaved deterministically: the first unit makes its choice from what it read,
then waits while the second unit chooses the same task or worker and commits; then the first
goes on. Whatever the interleaving, a task never holds two pending reservations for one
worker and a worker never holds more reservations than its channel's capacity.

Staging goes through a real server and the official client; the server is then stopped, so
only the units under test route, and a worker is made available behind its back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, event, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from hindsight.auth.accounts import Principal
from hindsight.domain.clock import ManualClock, SystemClock
from hindsight.eventlog.notify import LogNotifier
from hindsight.routing.engine import RoutingEngine
from hindsight.routing.router import Step, steps_unit
from hindsight.routing.workers import WorkerChanges, WorkerService
from hindsight.service_base import Caller, Deps, Limits
from hindsight.store.database import Database, DatabaseOptions
from hindsight.store.schema import (
    activities,
    events,
    reservations,
    worker_channels,
    workers,
    workspaces,
)
from tests.api.helpers_routing import floor
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support.server import start_server
from tests.support.twilio_client import client_for
from tests.support.waiting import wait_for

# A unit waits this long at most for the other one; only a broken test ever waits it out.
_NEVER = 60


def _own_postgres() -> Iterator[str]:
    name = f"hindsight_race_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A database of this test's own: no other server's router may route its tasks."""
    yield from _own_postgres()


@pytest.fixture(params=["sqlite", "postgres"])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hindsight.db'}"
        return
    yield from _own_postgres()


@dataclass(frozen=True)
class Stage:
    workspace_sid: str
    worker_sid: str
    # Tasks waiting, in the queue their `kind` sends them to ("a" or "b").
    tasks: dict[str, str]


def stage(data_dir: Path, url: str, kinds: list[str]) -> Stage:
    """One worker (offline, so nothing is routed yet) who qualifies for two queues, and a
    waiting task per kind; the server is stopped before returning."""
    server = start_server(data_dir, url)
    try:
        account = server.new_account()
        f = floor(client_for(server.base_url, account.sid, account.auth_token))
        first, second = f.queue("A"), f.queue("B")
        filters = [
            {
                "filter_friendly_name": "a",
                "expression": "kind == 'a'",
                "targets": [{"queue": first.sid}],
            },
            {
                "filter_friendly_name": "b",
                "expression": "kind == 'b'",
                "targets": [{"queue": second.sid}],
            },
        ]
        workflow = f.workflow("Split", filters=filters)
        worker = f.worker("Agent", available=False)
        tasks = {f.task(workflow.sid, kind=kind).sid: kind for kind in kinds}
        for sid in tasks:
            assert f.status(sid) == "pending"
        available = f.available
        workspace_sid = f.sid
    finally:
        server.stop()
    db = Database(DatabaseOptions(url=url))
    try:
        # The worker becomes available while no router runs: the units below find it free.
        db.write_sync(
            lambda conn: conn.execute(
                update(workers).where(workers.c.sid == worker.sid).values(activity_sid=available)
            )
        )
    finally:
        db.close()
    return Stage(workspace_sid, worker.sid, tasks)


class PausingEngine(RoutingEngine):
    """An engine whose first reservation waits, after the choice is made, until released."""

    def __init__(self) -> None:
        super().__init__()
        self.decided = threading.Event()
        self.go = threading.Event()

    def _reserve(self, *args: Any, **kwargs: Any) -> Any:
        if not self.decided.is_set():
            self.decided.set()
            assert self.go.wait(_NEVER), "the other unit never finished"
        return super()._reserve(*args, **kwargs)


def route(engine: RoutingEngine, task_sid: str) -> Step:
    return lambda conn, ws, now: engine.route_tasks(conn, ws, [task_sid], now)


def match(engine: RoutingEngine, worker_sid: str) -> Step:
    return lambda conn, ws, now: engine.match_worker(conn, ws, worker_sid, now)


def race(url: str, workspace_sid: str, first: Step, paused: PausingEngine, second: Step) -> None:
    """Run `first` until it has chosen; run `second` to its commit; then let `first` finish."""
    db = Database(DatabaseOptions(url=url))
    clock = SystemClock()
    failures: list[BaseException] = []

    def run_first() -> None:
        try:
            db.write_sync(steps_unit(workspace_sid, clock, [first]))
        except BaseException as exc:  # reported by the test thread
            failures.append(exc)

    thread = threading.Thread(target=run_first)
    try:
        thread.start()
        assert paused.decided.wait(_NEVER), "the first unit never chose a worker"
        db.write_sync(steps_unit(workspace_sid, clock, [second]))
    finally:
        paused.go.set()
        thread.join(_NEVER)
        db.close()
    assert not thread.is_alive()
    assert failures == []


def pending_pairs(url: str, workspace_sid: str) -> list[tuple[str, str]]:
    db = Database(DatabaseOptions(url=url))
    query = select(reservations.c.task_sid, reservations.c.worker_sid).where(
        reservations.c.workspace_sid == workspace_sid,
        reservations.c.reservation_status == "pending",
    )
    try:
        return [tuple(r) for r in db.read_sync(lambda conn: list(conn.execute(query)))]
    finally:
        db.close()


def load_of(url: str, worker_sid: str) -> tuple[int, int]:
    """The worker's held reservations as routing counts them: (channel's, worker's)."""
    db = Database(DatabaseOptions(url=url))

    def read(conn: Connection) -> tuple[int, int]:
        channel = conn.execute(
            select(func.sum(worker_channels.c.assigned_tasks)).where(
                worker_channels.c.worker_sid == worker_sid
            )
        ).scalar_one()
        holding = conn.execute(
            select(workers.c.holding).where(workers.c.sid == worker_sid)
        ).scalar_one()
        return int(channel), int(holding)

    try:
        return db.read_sync(read)
    finally:
        db.close()


def no_step_failed(caplog: pytest.LogCaptureFixture) -> None:
    """The unit that lost the race gave way by checking, not by an error rolled back."""
    failed = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failed == [], [r.getMessage() for r in failed]


def test_two_passes_routing_one_task_reserve_its_worker_once(
    postgres_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    staged = stage(tmp_path, postgres_url, ["a"])
    (task_sid,) = staged.tasks
    paused = PausingEngine()

    race(
        postgres_url,
        staged.workspace_sid,
        route(paused, task_sid),
        paused,
        route(RoutingEngine(), task_sid),
    )

    assert pending_pairs(postgres_url, staged.workspace_sid) == [(task_sid, staged.worker_sid)]
    assert load_of(postgres_url, staged.worker_sid) == (1, 1)
    no_step_failed(caplog)


def test_a_task_pass_and_a_worker_pass_at_once_reserve_the_worker_once(
    postgres_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The router matching the freed worker while another pass routes the task's queue.
    staged = stage(tmp_path, postgres_url, ["a"])
    (task_sid,) = staged.tasks
    paused = PausingEngine()

    race(
        postgres_url,
        staged.workspace_sid,
        match(paused, staged.worker_sid),
        paused,
        route(RoutingEngine(), task_sid),
    )

    assert pending_pairs(postgres_url, staged.workspace_sid) == [(task_sid, staged.worker_sid)]
    assert load_of(postgres_url, staged.worker_sid) == (1, 1)
    no_step_failed(caplog)


def test_two_passes_offering_different_tasks_never_exceed_the_workers_capacity(
    postgres_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Each pass routes a queue of its own; the one worker, of capacity 1, serves both.
    staged = stage(tmp_path, postgres_url, ["a", "b"])
    first_task, second_task = staged.tasks
    paused = PausingEngine()

    race(
        postgres_url,
        staged.workspace_sid,
        route(paused, first_task),
        paused,
        route(RoutingEngine(), second_task),
    )

    # The pass that committed first got the worker; the other task waits for room.
    assert pending_pairs(postgres_url, staged.workspace_sid) == [(second_task, staged.worker_sid)]
    assert load_of(postgres_url, staged.worker_sid) == (1, 1)
    no_step_failed(caplog)


def test_the_database_refuses_a_second_pending_reservation_of_a_task_for_one_worker(
    any_url: str, tmp_path: Path
) -> None:
    staged = stage(tmp_path, any_url, ["a"])
    (task_sid,) = staged.tasks
    db = Database(DatabaseOptions(url=any_url))
    clock = SystemClock()
    try:
        db.write_sync(steps_unit(staged.workspace_sid, clock, [route(RoutingEngine(), task_sid)]))
        (existing,) = db.read_sync(
            lambda conn: list(
                conn.execute(select(reservations).where(reservations.c.task_sid == task_sid))
            )
        )
        copy = {**existing._mapping, "sid": "WR" + secrets.token_hex(16)}
        with pytest.raises(IntegrityError):
            db.write_sync(lambda conn: conn.execute(insert(reservations).values(**copy)))
        # Once that offer has ended, the worker may be offered the task again.
        ended = {**copy, "reservation_status": "timeout", "timeout_at_ms": None}
        db.write_sync(lambda conn: conn.execute(insert(reservations).values(**ended)))
    finally:
        db.close()
    assert pending_pairs(any_url, staged.workspace_sid) == [(task_sid, staged.worker_sid)]


def test_a_reservation_is_never_dated_before_the_task_it_reserves(
    any_url: str, tmp_path: Path
) -> None:
    # A routing step reads the clock as it begins, then finds waiting tasks among what has
    # committed meanwhile (PostgreSQL's READ COMMITTED: a task created after that reading,
    # found by a freed worker's match). `benchmarks/run-routing --postgres` printed negative
    # latencies from such reservations. Here the step's clock reads a second before the
    # task's creation.
    staged = stage(tmp_path, any_url, ["a"])
    (task_sid,) = staged.tasks
    db = Database(DatabaseOptions(url=any_url))

    def dated(event_type: str) -> int:
        query = select(events.c.event_date_ms).where(
            events.c.event_type == event_type, events.c.task_sid == task_sid
        )
        return int(db.read_sync(lambda conn: conn.execute(query).scalar_one()))

    def reservation_created_ms() -> int:
        query = select(reservations.c.date_created).where(reservations.c.task_sid == task_sid)
        return int(db.read_sync(lambda conn: conn.execute(query).scalar_one()))

    try:
        created_ms = dated("task.created")
        clock = ManualClock(created_ms - 1000)
        db.write_sync(steps_unit(staged.workspace_sid, clock, [route(RoutingEngine(), task_sid)]))
        reserved_ms = dated("reservation.created")
        row_created_ms = reservation_created_ms()
    finally:
        db.close()
    assert reserved_ms >= created_ms
    assert row_created_ms == reserved_ms


# --- two real servers on one database ------------------------------------------------------

# What ends each reservation state, read from the log: created holds the worker and is
# pending; accepted and wrapping still hold it; the rest let it go.
_STILL_HOLDING = {"reservation.accepted", "reservation.wrapup"}
_LETS_GO = {
    "reservation.completed",
    "reservation.rejected",
    "reservation.timeout",
    "reservation.canceled",
    "reservation.rescinded",
}


def replay_offers(url: str, workspace_sid: str) -> tuple[int, int, int]:
    """Walk the workspace's log in order: (most reservations one worker held at once, most
    pending reservations one task had at once for one worker, reservations created)."""
    query = (
        select(
            events.c.event_type,
            events.c.reservation_sid,
            events.c.task_sid,
            events.c.worker_sid,
        )
        .where(events.c.workspace_sid == workspace_sid, events.c.resource_type == "reservation")
        .order_by(events.c.seq)
    )
    db = Database(DatabaseOptions(url=url))
    try:
        rows = db.read_sync(lambda conn: list(conn.execute(query)))
    finally:
        db.close()
    holding: dict[str, set[str]] = {}
    pending: dict[tuple[str, str], set[str]] = {}
    most_held = most_pending = created = 0
    for event_type, reservation, task, worker in rows:
        held = holding.setdefault(worker, set())
        offers = pending.setdefault((task, worker), set())
        if event_type == "reservation.created":
            created += 1
            held.add(reservation)
            offers.add(reservation)
        elif event_type in _STILL_HOLDING:
            offers.discard(reservation)
        elif event_type in _LETS_GO:
            held.discard(reservation)
            offers.discard(reservation)
        most_held = max(most_held, len(held))
        most_pending = max(most_pending, len(offers))
    return most_held, most_pending, created


def test_two_servers_on_one_database_offer_each_task_once_and_keep_capacity(
    postgres_url: str, tmp_path: Path
) -> None:
    # Both servers run a router and timers over the same log: every event is routed twice,
    # at nearly the same moment, by two processes' worth of routing.
    servers = [
        start_server(tmp_path / "one", postgres_url),
        start_server(tmp_path / "two", postgres_url),
    ]
    try:
        account = servers[0].new_account()
        clients = [client_for(s.base_url, account.sid, account.auth_token) for s in servers]
        f = floor(clients[0])
        floors = [f, replace(f, client=clients[1])]
        queue = f.queue("Calls")
        workflow = f.workflow("All", default_queue=queue.sid)
        for i in range(4):
            floors[i % 2].worker(f"Agent {i}")
        tasks: list[str] = []

        def create(side: int) -> None:
            for _ in range(8):
                tasks.append(floors[side].task(workflow.sid).sid)

        creators = [threading.Thread(target=create, args=(side,)) for side in (0, 1)]
        for thread in creators:
            thread.start()
        for thread in creators:
            thread.join(_NEVER)
        assert len(tasks) == 16

        # Each offer is taken through one server or the other, freeing a worker for the next.
        for turn, task_sid in enumerate(tasks):
            side = floors[turn % 2]
            reservation = side.pending_one(task_sid)
            side.answer(reservation, reservation_status="accepted")
            side.api.tasks(task_sid).update(assignment_status="wrapping")
            side.api.tasks(task_sid).update(assignment_status="completed", reason="done")
        assert {f.status(sid) for sid in tasks} == {"completed"}
    finally:
        for server in servers:
            server.stop()

    most_held, most_pending, created = replay_offers(postgres_url, f.sid)
    assert most_held == 1  # capacity 1: never two reservations of one worker at once
    assert most_pending == 1
    assert created >= len(tasks)


# --- one lock order: a task before its worker ----------------------------------------------


class FirstLockPause:
    """Pauses the first transaction to take a row lock (`FOR UPDATE`) from now on, right after
    it, until released: whatever that lock is, the other unit (`other_thread`) then runs
    against it. (The paused unit runs on a worker thread of the service's own.)"""

    def __init__(self, db: Database, other_thread: str) -> None:
        self.locked = threading.Event()
        self.go = threading.Event()
        self._other_thread = other_thread
        event.listen(db.write_engine, "after_cursor_execute", self._executed)

    def _executed(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        other = threading.current_thread().name == self._other_thread
        if not other and "FOR UPDATE" in statement and not self.locked.is_set():
            self.locked.set()
            assert self.go.wait(_NEVER), "the other unit never blocked nor finished"


def waiting_on_a_lock(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return bool(row and row[0])


def test_rejecting_a_workers_pending_reservations_while_one_times_out_takes_locks_in_one_order(
    postgres_url: str, tmp_path: Path
) -> None:
    # A worker going offline with RejectPendingReservations answers its pending reservation
    # while the timers expire that same reservation. Both lock the task and the worker; taken
    # in opposite orders, each would hold one and wait for the other: a deadlock that
    # PostgreSQL breaks by aborting one (which the store then retries).
    staged = stage(tmp_path, postgres_url, ["a"])
    (task_sid,) = staged.tasks
    clock = ManualClock(SystemClock().now_ms())
    db = Database(DatabaseOptions(url=postgres_url))
    deadlocks: list[str] = []

    def seen(context: Any) -> None:
        if getattr(context.original_exception, "sqlstate", None) == "40P01":
            deadlocks.append(str(context.original_exception))

    event.listen(db.write_engine, "handle_error", seen)
    failures: list[BaseException] = []
    try:
        db.write_sync(steps_unit(staged.workspace_sid, clock, [route(RoutingEngine(), task_sid)]))
        (reservation_sid,) = db.read_sync(
            lambda conn: list(
                conn.execute(
                    select(reservations.c.sid).where(reservations.c.task_sid == task_sid)
                ).scalars()
            )
        )
        account_sid, offline = db.read_sync(
            lambda conn: conn.execute(
                select(workspaces.c.account_sid, activities.c.sid)
                .join(activities, activities.c.workspace_sid == workspaces.c.sid)
                .where(workspaces.c.sid == staged.workspace_sid, activities.c.available.is_(False))
                .limit(1)
            ).one()
        )
        clock.advance(3600)  # past the reservation's timeout
        service = WorkerService(Deps(db=db, clock=clock, notifier=LogNotifier(), limits=Limits()))
        caller = Caller(Principal(account_sid, account_sid))
        offline_rejecting = WorkerChanges(activity_sid=offline, reject_pending_reservations=True)
        pause = FirstLockPause(db, other_thread="expiring")
        engine = RoutingEngine()
        timeout: Step = lambda conn, ws, now: engine.expire_reservation(  # noqa: E731
            conn, ws, reservation_sid, now
        )

        def reject() -> None:
            try:
                asyncio.run(
                    service.update(
                        caller, staged.workspace_sid, staged.worker_sid, offline_rejecting, None
                    )
                )
            except BaseException as exc:  # reported by the test thread
                failures.append(exc)

        def expire() -> None:
            try:
                db.write_sync(steps_unit(staged.workspace_sid, clock, [timeout]))
            except BaseException as exc:  # reported by the test thread
                failures.append(exc)

        rejecting = threading.Thread(target=reject, name="rejecting")
        expiring = threading.Thread(target=expire, name="expiring")
        rejecting.start()
        try:
            assert pause.locked.wait(_NEVER), "the worker update never locked a row"
            expiring.start()
            wait_for(
                lambda: waiting_on_a_lock(postgres_url) or not expiring.is_alive(),
                "the timer blocked on the worker update's lock, or done",
            )
        finally:
            pause.go.set()
            rejecting.join(_NEVER)
            if expiring.is_alive() or expiring.ident is not None:
                expiring.join(_NEVER)
        status = db.read_sync(
            lambda conn: conn.execute(
                select(reservations.c.reservation_status).where(
                    reservations.c.sid == reservation_sid
                )
            ).scalar_one()
        )
    finally:
        db.close()
    assert failures == []
    assert deadlocks == []
    # The worker update took the task's lock first, so the timer waited and then found the
    # reservation answered.
    assert status == "rejected"
