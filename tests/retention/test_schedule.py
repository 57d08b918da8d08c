"""The in-server schedule of the retention sweep: when it runs, that a failure does not stop it,
and that it stops with the server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from hindsight.retention.schedule import RetentionSchedule


class Sweeps:
    """Stands in for the retention service: records when it was asked to sweep."""

    def __init__(self, fail_first: bool = False) -> None:
        self.at: list[float] = []
        self._fail = fail_first

    async def sweep_all(self, trigger: str) -> list[Any]:
        assert trigger == "schedule"
        self.at.append(time.monotonic())
        if self._fail and len(self.at) == 1:
            raise ConnectionError("the database is away")
        return []


async def _run_until(
    schedule: RetentionSchedule, sweeps: Sweeps, ran: Callable[[], bool], longest_pause: float
) -> None:
    """Run the schedule until `ran()` holds, then stop it and check that stopping cuts the pause
    in progress short: no sweep after the stop, and a long pause (`longest_pause`, as
    configured) is not waited out: the run ends within half of it (at least 5 s, for slow
    machines)."""
    stop = asyncio.Event()
    task = asyncio.create_task(schedule.run(stop))
    while not ran():
        assert not task.done(), "the schedule ended before it was stopped"
        await asyncio.sleep(0.01)
    stop.set()
    swept = len(sweeps.at)
    await asyncio.wait_for(task, timeout=max(longest_pause / 2, 5.0))
    assert len(sweeps.at) == swept, "a sweep after the stop"


def test_sweeps_start_soon_then_repeat_and_survive_a_failure() -> None:
    sweeps = Sweeps(fail_first=True)
    schedule = RetentionSchedule(sweeps, interval_seconds=0.2, first_delay_seconds=0.05)  # type: ignore[arg-type]
    run = _run_until(schedule, sweeps, lambda: len(sweeps.at) >= 3, longest_pause=0.2)
    asyncio.run(asyncio.wait_for(run, timeout=30))
    assert len(sweeps.at) >= 3


def test_an_interval_of_zero_never_sweeps() -> None:
    sweeps = Sweeps()
    schedule = RetentionSchedule(sweeps, interval_seconds=0, first_delay_seconds=0)  # type: ignore[arg-type]
    # Never started: the run ends by itself, without being stopped.
    asyncio.run(asyncio.wait_for(schedule.run(asyncio.Event()), timeout=5))
    assert sweeps.at == []


def test_the_first_sweep_waits_for_the_first_delay() -> None:
    sweeps = Sweeps()
    schedule = RetentionSchedule(sweeps, interval_seconds=60, first_delay_seconds=30)  # type: ignore[arg-type]
    # A clock passing is what is under test: a while into the first delay, nothing has swept.
    began = time.monotonic()
    asyncio.run(_run_until(schedule, sweeps, lambda: time.monotonic() > began + 0.3, 30))
    assert sweeps.at == []
