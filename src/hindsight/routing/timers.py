"""Routing's clock: task TTLs, reservation timeouts and workflow step timeouts.

The due times live on the task and reservation rows, so timers survive a restart: whatever
fell due while the server was down fires as soon as it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

from hindsight.domain.clock import Clock
from hindsight.eventlog.notify import LogNotifier
from hindsight.routing.engine import RoutingEngine
from hindsight.routing.router import Step, steps_unit
from hindsight.store import reservations as reservation_store
from hindsight.store import tasks as task_store
from hindsight.store.database import Database

log = logging.getLogger(__name__)

_TICK_SECONDS = 0.2
_BATCH = 200


class Timers:
    def __init__(
        self, db: Database, clock: Clock, notifier: LogNotifier, engine: RoutingEngine
    ) -> None:
        self._db = db
        self._clock = clock
        self._notifier = notifier
        self._engine = engine

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.fire_due()
            except Exception:
                log.exception("routing timers failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), _TICK_SECONDS)

    async def fire_due(self) -> int:
        """Run every timer that is due; returns how many changed something."""
        now = self._clock.now_ms()

        def find(conn):  # type: ignore[no-untyped-def]
            return (
                task_store.due_timeouts(conn, now, _BATCH),
                reservation_store.due_timeouts(conn, now, _BATCH),
                task_store.due_steps(conn, now, _BATCH),
            )

        tasks, reservations, steps = await self._db.read(find)
        by_workspace: dict[str, list[Step]] = defaultdict(list)
        for r in reservations:
            by_workspace[r.workspace_sid].append(self._expire_reservation(r.sid))
        for t in tasks:
            by_workspace[t.workspace_sid].append(self._expire_task(t.sid))
        for t in steps:
            by_workspace[t.workspace_sid].append(self._advance_step(t.sid))
        changed: set[str] = set()
        for workspace_sid, due in by_workspace.items():
            try:
                if await self._db.write(steps_unit(workspace_sid, self._clock, due)):
                    changed.add(workspace_sid)
            except Exception:
                log.exception("routing timers failed in %s", workspace_sid)
        if changed:
            self._notifier.appended(changed)
        return len(changed)

    def _expire_reservation(self, sid: str) -> Step:
        return lambda conn, ws, now: self._engine.expire_reservation(conn, ws, sid, now)

    def _expire_task(self, sid: str) -> Step:
        return lambda conn, ws, now: self._engine.expire_task(conn, ws.sid, sid, now)

    def _advance_step(self, sid: str) -> Step:
        return lambda conn, ws, now: self._engine.advance_step(conn, ws.sid, sid, now)
