"""The background process: everything that follows the log or the clock, off the request path.

Work that must be done by exactly one process at a time across every process and host serving
the database (the projector, the router, routing timers, retention sweeps) runs only while
this process holds the `background` lease, renewed every few seconds; another process takes
over when it lapses. Work that already shares itself out through leases of its own (event
callbacks per workspace, media analysis per job) runs in every background process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hindsight.domain.clock import Clock
from hindsight.processes.wake import WakeReceiver
from hindsight.store import leases as lease_store
from hindsight.store.database import Database

log = logging.getLogger(__name__)

LEASE = "background"

Job = Callable[[asyncio.Event], Awaitable[None]]


@dataclass(frozen=True)
class LeaseTiming:
    # A holder that stops renewing (crashed, frozen, cut off) is replaced after this long.
    lease_seconds: float = 15.0
    # How often the holder renews, and how often a stand-by process looks whether it lapsed.
    renew_seconds: float = 5.0


def process_owner(tag: str = "") -> str:
    """Who holds a lease: host and process, so the operator can tell from the table."""
    return f"{socket.gethostname()}:{os.getpid()}:{tag or secrets.token_hex(4)}"


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


class BackgroundLease:
    """Runs singleton jobs while holding the lease, and shared jobs all the time."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        owner: str,
        timing: LeaseTiming = LeaseTiming(),
        receiver: WakeReceiver | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self.owner = owner
        self._timing = timing
        self._receiver = receiver
        self.holding = False

    async def _take(self) -> bool:
        now = self._clock.now_ms()
        until = now + int(self._timing.lease_seconds * 1000)
        try:
            return await self._db.write(
                lambda conn: lease_store.acquire(conn, LEASE, self.owner, now, until)
            )
        except Exception:
            log.exception("could not take or renew the background lease")
            return False

    async def run(self, singletons: list[Job], shared: list[Job], stop: asyncio.Event) -> None:
        shared_tasks = [asyncio.create_task(job(stop)) for job in shared]
        try:
            while not stop.is_set():
                if await self._take():
                    await self._hold(singletons, stop)
                elif await _stopped_within(stop, self._timing.renew_seconds):
                    break
        finally:
            await asyncio.gather(*shared_tasks, return_exceptions=True)

    async def _hold(self, singletons: list[Job], stop: asyncio.Event) -> None:
        log.info("holding the background lease as %s", self.owner)
        self.holding = True
        lost = asyncio.Event()
        listening = self._receiver.start() if self._receiver is not None else False
        tasks = [asyncio.create_task(job(lost)) for job in singletons]
        try:
            while not await _stopped_within(stop, self._timing.renew_seconds):
                if not await self._take():
                    log.warning("lost the background lease; another process takes over")
                    break
                if not listening and self._receiver is not None:
                    # The previous holder on this host may only now have let the channel go.
                    listening = self._receiver.start()
        finally:
            lost.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            if listening and self._receiver is not None:
                self._receiver.stop()
            self.holding = False
        if stop.is_set():
            with contextlib.suppress(Exception):
                await self._db.write(lambda conn: lease_store.release(conn, LEASE, self.owner))
