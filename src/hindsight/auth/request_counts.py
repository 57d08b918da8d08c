"""Request counts per key and window that every process serving the database adds to.

The HTTP layer's rate limiters keep their buckets in memory; this is the use case they share
counts through, so that `api` holds no database access of its own.
"""

from __future__ import annotations

from hindsight.store import rate_limits
from hindsight.store.database import Database


class RequestCounts:
    """The shared counts table, one write transaction per call."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, window: int, hits: dict[str, int]) -> dict[str, int]:
        """Add this process's `hits` per key to `window`; returns every process's totals."""
        return await self._db.write(lambda conn: rate_limits.add(conn, window, hits))

    async def forget_before(self, prefix: str, window: int) -> None:
        """Drop the counts of keys starting with `prefix` in windows before `window`."""
        await self._db.write(lambda conn: rate_limits.forget_before(conn, prefix, window))
