"""The router: follows each workspace's event log and routes what the events call for.

Tasks arriving in queues get offered to workers; workers who may have gained room get offered
waiting tasks. The router keeps a cursor per workspace and moves it in the same transaction
as the routing it did for those events, so after a crash or restart it continues exactly where
it stopped. It runs in the server process, woken by every commit that appends events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import Connection

from hindsight.domain.clock import Clock
from hindsight.domain.events import Actor, NewEvent
from hindsight.domain.routing_triggers import work_for
from hindsight.eventlog.append import Origin, append
from hindsight.eventlog.notify import LogNotifier, WakeUp
from hindsight.routing.engine import RoutingEngine
from hindsight.store import events as event_store
from hindsight.store import routing as store
from hindsight.store.database import Database

log = logging.getLogger(__name__)

_BATCH = 500
_POLL_SECONDS = 1.0
# While transactions that drew log positions are still in flight (PostgreSQL), look again soon.
_UNSETTLED_SECONDS = 0.005


def routing_origin(workspace_sid: str) -> Origin:
    return Origin(actor=Actor("workspace", workspace_sid), source="routing")


Step = Callable[[Connection, Any, int], list[NewEvent]]


def steps_unit(
    workspace_sid: str, clock: Clock, steps: list[Step], advance_to: int | None = None
) -> Callable[[Connection], bool]:
    """One write unit running routing steps for a workspace in order, logging their events.

    Each step runs in a savepoint, so a step that fails (and is logged) undoes only itself;
    the others, and the router's cursor, still commit. Returns whether anything was logged.
    """

    def unit(conn: Connection) -> bool:
        workspace = store.workspace(conn, workspace_sid)
        if workspace is None:
            return False
        logged = False
        for step in steps:
            now = clock.now_ms()
            savepoint = conn.begin_nested()
            try:
                events = step(conn, workspace, now)
                if events:
                    append(conn, workspace, events, now, routing_origin(workspace_sid))
            except Exception:
                savepoint.rollback()
                log.exception("routing step failed in %s", workspace_sid)
                continue
            savepoint.commit()
            logged = logged or bool(events)
        if advance_to is not None:
            store.advance(conn, workspace_sid, advance_to)
        return logged

    return unit


class Router:
    def __init__(
        self, db: Database, clock: Clock, notifier: LogNotifier, engine: RoutingEngine
    ) -> None:
        self._db = db
        self._clock = clock
        self._notifier = notifier
        self._engine = engine
        self._wake = WakeUp()
        self._seen: dict[str, int] = {}
        notifier.subscribe(self._wake)

    def _route(self, task_sids: list[str]) -> Step:
        return lambda conn, ws, now: self._engine.route_tasks(conn, ws, task_sids, now)

    def _match(self, worker_sid: str) -> Step:
        return lambda conn, ws, now: self._engine.match_worker(conn, ws, worker_sid, now)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.catch_up()
            except Exception:
                log.exception("routing pass failed")
            settled = self._db.horizon.settled
            await self._wake.wait(_POLL_SECONDS if settled else _UNSETTLED_SECONDS)

    async def catch_up(self) -> None:
        for workspace_sid, stored in await self._db.read(store.behind):
            await self._follow(workspace_sid, stored)

    async def _follow(self, workspace_sid: str, stored: int) -> None:
        # Events that call for no routing (most task updates, activity changes of busy workers)
        # move only this in-memory position; the stored cursor follows with the next routing
        # write, or once the log goes quiet. After a restart those events are read again and
        # again call for nothing.
        seq = max(stored, self._seen.get(workspace_sid, 0))
        first = True
        while True:
            batch = await self._db.read(
                lambda conn, seq=seq: event_store.follow(
                    conn, self._db.horizon, workspace_sid, seq, _BATCH
                )
            )
            if not batch:
                if first and seq > stored:
                    # Nothing new since the last pass: store where routing stands, so that
                    # a restart (or another process taking over) need not read it all again.
                    await self._db.write(
                        lambda conn, seq=seq: store.advance(conn, workspace_sid, seq)
                    )
                return
            first = False
            last = batch[-1].seq
            work = work_for((e.event_type, orjson.loads(e.event_data)) for e in batch)
            # Workers who gained room first: each takes the best task waiting for it (priority,
            # then age), before newly arrived tasks claim free workers in arrival order.
            steps: list[Step] = [self._match(worker) for worker in work.workers]
            if work.tasks:
                steps.append(self._route(work.tasks))
            if steps or last - stored >= _BATCH:
                # The cursor moves in the same transaction as the routing it did, so a batch
                # is done exactly once even across crashes.
                logged = await self._db.write(
                    steps_unit(workspace_sid, self._clock, steps, advance_to=last)
                )
                stored = last
                if logged:
                    self._notifier.appended({workspace_sid})
            self._seen[workspace_sid] = seq = last
            if len(batch) < _BATCH:
                return
