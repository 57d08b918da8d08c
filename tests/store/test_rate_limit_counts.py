"""Shared request counts: each process adds its hits to a key's window and learns the total
of every process (both stores; the upsert goes straight to the driver)."""

from __future__ import annotations

from hindsight.store import rate_limits
from hindsight.store.database import Database


def test_adds_sum_per_key_and_window_and_return_the_totals(db: Database) -> None:
    def add(window: int, hits: dict[str, int]) -> dict[str, int]:
        return db.write_sync(lambda conn: rate_limits.add(conn, window, hits))

    assert add(60, {"twilio:AC1": 3, "twilio:AC2": 1}) == {"twilio:AC1": 3, "twilio:AC2": 1}
    # Another process's counts of the same window add to them; another window starts at zero.
    assert add(60, {"twilio:AC1": 2}) == {"twilio:AC1": 5}
    assert add(61, {"twilio:AC1": 4, "twilio:AC2": 7}) == {"twilio:AC1": 4, "twilio:AC2": 7}
    assert add(60, {"twilio:AC2": 1, "twilio:AC3": 1}) == {"twilio:AC2": 2, "twilio:AC3": 1}


def test_forgetting_drops_only_older_windows_of_the_prefix(db: Database) -> None:
    def add(window: int, hits: dict[str, int]) -> dict[str, int]:
        return db.write_sync(lambda conn: rate_limits.add(conn, window, hits))

    add(60, {"twilio:AC1": 3, "api:AC1": 3})
    add(61, {"twilio:AC1": 1})
    db.write_sync(lambda conn: rate_limits.forget_before(conn, "twilio:", 61))
    assert add(60, {"twilio:AC1": 1, "api:AC1": 1}) == {"twilio:AC1": 1, "api:AC1": 4}
    assert add(61, {"twilio:AC1": 1}) == {"twilio:AC1": 2}
