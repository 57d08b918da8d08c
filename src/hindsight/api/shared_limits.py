"""Rate limits shared by every process serving the database.

Each process's `RateLimiter` keeps its token buckets in memory, on the hot path. With several
HTTP processes (and hosts) that alone would let a client have the limit once per process, so
each limiter also counts requests per key in fixed windows here, and every `flush_seconds`
adds its counts to a table all processes share and reads back the totals. A key over its
window's allowance in the totals is refused in every process that has seen the key. A process
learns the totals of a key at its first flush after seeing it, so each process may admit up
to one flush's worth of a key's requests beyond the shared allowance; no request waits for the
database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable

from hindsight.auth.request_counts import RequestCounts

log = logging.getLogger(__name__)


class SharedWindows:
    """Counts of one limiter in windows of `window_seconds`, shared through the database."""

    def __init__(
        self,
        counts: RequestCounts,
        name: str,
        window_seconds: float,
        allowance: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._counts = counts
        self._name = name
        self._window_seconds = window_seconds
        self.allowance = allowance
        self._clock = clock
        self._pending: Counter[str] = Counter()
        self._pending_window = self._window()
        self._totals: dict[str, int] = {}
        self._totals_window = self._pending_window

    def _window(self) -> int:
        """The current window, named by its start in seconds (one scale for every limiter)."""
        return int(self._clock() // self._window_seconds * self._window_seconds)

    def _roll(self) -> int:
        window = self._window()
        if window != self._totals_window:
            self._totals, self._totals_window = {}, window
        return window

    def over(self, key: str) -> bool:
        """Whether `key` has used its window's allowance across all processes."""
        window = self._roll()
        pending = self._pending[key] if self._pending_window == window else 0
        return self._totals.get(key, 0) + pending >= self.allowance

    def record(self, key: str) -> None:
        window = self._roll()
        if window != self._pending_window:
            # Counts of a finished window no longer limit anyone; they are not sent.
            self._pending, self._pending_window = Counter(), window
        self._pending[key] += 1

    def retry_after(self) -> int:
        return max(1, int(self._window_seconds - self._clock() % self._window_seconds) + 1)

    async def flush(self) -> None:
        if not self._pending:
            return
        window, hits = self._pending_window, dict(self._pending)
        self._pending = Counter()
        keyed = {f"{self._name}:{key}": n for key, n in hits.items()}
        totals = await self._counts.add(window, keyed)
        if window == self._roll():
            prefix = len(self._name) + 1
            for key, total in totals.items():
                self._totals[key[prefix:]] = total

    async def forget_old(self) -> None:
        stale = int(self._window() - self._window_seconds)
        await self._counts.forget_before(f"{self._name}:", stale)

    async def run(self, stop: asyncio.Event, flush_seconds: float = 0.1) -> None:
        passes = 0
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), flush_seconds)
            try:
                await self.flush()
                passes += 1
                if passes % 600 == 0:
                    await self.forget_old()
            except Exception:
                log.exception("sharing rate-limit counts failed; limits are per process meanwhile")
