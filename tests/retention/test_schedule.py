"""The in-server schedule of the retention sweep: when it runs, that a failure does not stop it,
and that it stops with the server."""

from __future__ import annotations

import asyncio
import time
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


async def _run_for(schedule: RetentionSchedule, seconds: float) -> float:
    stop = asyncio.Event()
    task = asyncio.create_task(schedule.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    began = time.monotonic()
    await asyncio.wait_for(task, timeout=5)
    return time.monotonic() - began


def test_sweeps_start_soon_then_repeat_and_survive_a_failure() -> None:
    sweeps = Sweeps(fail_first=True)
    schedule = RetentionSchedule(sweeps, interval_seconds=0.2, first_delay_seconds=0.05)  # type: ignore[arg-type]
    stopping = asyncio.run(_run_for(schedule, 1.0))
    assert len(sweeps.at) >= 3
    assert stopping < 1.0


def test_an_interval_of_zero_never_sweeps() -> None:
    sweeps = Sweeps()
    schedule = RetentionSchedule(sweeps, interval_seconds=0, first_delay_seconds=0)  # type: ignore[arg-type]
    asyncio.run(_run_for(schedule, 0.2))
    assert sweeps.at == []


def test_the_first_sweep_waits_for_the_first_delay() -> None:
    sweeps = Sweeps()
    schedule = RetentionSchedule(sweeps, interval_seconds=60, first_delay_seconds=30)  # type: ignore[arg-type]
    stopping = asyncio.run(_run_for(schedule, 0.3))
    assert sweeps.at == []
    assert stopping < 1.0
