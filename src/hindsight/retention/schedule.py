"""Running the retention sweep on a schedule inside the server.

The first sweep runs shortly after start (a server restarted more often than the interval would
otherwise never sweep), then one every interval. Several servers sharing a database may sweep
at the same time: deletions are idempotent and each is audited only by the transaction that
made it, so the result is the same as one sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from hindsight.retention.service import SCHEDULE, RetentionService

log = logging.getLogger(__name__)
FIRST_DELAY_SECONDS = 30.0


class RetentionSchedule:
    def __init__(
        self,
        service: RetentionService,
        interval_seconds: float,
        first_delay_seconds: float = FIRST_DELAY_SECONDS,
    ) -> None:
        self._service = service
        self._interval = interval_seconds
        self._first_delay = first_delay_seconds

    async def run(self, stop: asyncio.Event) -> None:
        if self._interval <= 0:
            return
        delay = min(self._first_delay, self._interval)
        while not await _stopped_within(stop, delay):
            try:
                reports = await self._service.sweep_all(SCHEDULE)
            except Exception:
                # The database may be briefly away; the next turn tries again.
                log.exception("the retention sweep failed")
            else:
                for report in reports:
                    if report.conversations or report.recordings or report.transcripts:
                        log.info(
                            "retention deleted %d conversations, %d recordings, %d transcripts "
                            "of %s",
                            report.conversations,
                            report.recordings,
                            report.transcripts,
                            report.account_sid,
                        )
            delay = self._interval


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()
