"""Rate limits: token buckets per client, answered with 429 and `Retry-After`.

Buckets live in the process's memory, on the hot path. With several HTTP processes (or hosts)
a limiter can also count in windows shared through the database (`shared_limits`), so one
client cannot have the limit once per process.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from hindsight.api.shared_limits import SharedWindows
from hindsight.domain.errors import HindsightError

_MAX_KEYS = 50_000


class TooManyRequests(HindsightError, status=429):
    """The caller has sent more requests than its rate allows (HTTP 429)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """`rate` requests per second on average, bursts of `burst`; rate 0 means no limit."""

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self.shared: SharedWindows | None = None

    def share(self, shared: SharedWindows) -> RateLimiter:
        """Also hold the limit across processes (see `shared_limits`)."""
        if self.rate > 0:
            self.shared = shared
        return self

    @classmethod
    def per_minute(cls, count: float) -> RateLimiter:
        return cls(count / 60.0, max(count, 1.0))

    @classmethod
    def per_second(cls, count: float) -> RateLimiter:
        return cls(count, 2 * count)

    def hit(self, key: str) -> None:
        """Take one token for `key`, or raise TooManyRequests saying when to come back."""
        if self.rate <= 0:
            return
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(self.burst, now)
            self._buckets[key] = bucket
            if len(self._buckets) > _MAX_KEYS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
        if bucket.tokens < 1.0:
            raise TooManyRequests(max(1, math.ceil((1.0 - bucket.tokens) / self.rate)))
        if self.shared is not None:
            if self.shared.over(key):
                raise TooManyRequests(self.shared.retry_after())
            self.shared.record(key)
        bucket.tokens -= 1.0
