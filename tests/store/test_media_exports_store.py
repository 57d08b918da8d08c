"""The export queue on both stores: an export is claimed by exactly one builder, a builder
that stops renewing loses it to another, and a ready export is downloaded exactly once."""

from __future__ import annotations

from typing import Any

from hindsight.store import media_exports as store
from hindsight.store.database import Database

NOW = 1_700_000_000_000


def _row(export_id: str, **changes: Any) -> dict[str, Any]:
    row = {
        "id": export_id,
        "account_sid": "AC" + "1" * 32,
        "actor_sid": "US" + "2" * 32,
        "requester": "{}",
        "conversation_ids": '["c1"]',
        "status": store.QUEUED,
        "total": 1,
        "done": 0,
        "items": 0,
        "failed_items": 0,
        "lease_until_ms": 0,
        "created_ms": NOW,
        "expires_ms": NOW + 86_400_000,
    }
    return {**row, **changes}


def test_one_claimer_wins_and_a_lapsed_builder_loses_the_export(db: Database) -> None:
    db.write_sync(lambda conn: store.insert(conn, _row("ME1")))
    first = db.write_sync(lambda conn: store.claim_next(conn, "a", NOW, NOW + 30_000))
    second = db.write_sync(lambda conn: store.claim_next(conn, "b", NOW + 1, NOW + 30_001))
    assert first is not None and first.lease_owner == "a" and first.status == store.BUILDING
    assert second is None
    # Builder a stops renewing; once its lease has run out, b takes the export over.
    later = NOW + 31_000
    taken = db.write_sync(lambda conn: store.claim_next(conn, "b", later, later + 30_000))
    assert taken is not None and taken.lease_owner == "b"
    assert not db.write_sync(
        lambda conn: store.progress(
            conn, "ME1", "a", later + 30_000, done=1, items=1, failed_items=0
        )
    )
    assert not db.write_sync(lambda conn: store.finish(conn, "ME1", "a", later, "x.zip", 10))
    assert db.write_sync(lambda conn: store.finish(conn, "ME1", "b", later, "x.zip", 10))


def test_a_ready_export_is_taken_once_and_not_after_it_expires(db: Database) -> None:
    account = "AC" + "1" * 32
    db.write_sync(lambda conn: store.insert(conn, _row("ME2", status=store.READY)))
    db.write_sync(lambda conn: store.insert(conn, _row("ME3", status=store.READY)))
    assert db.write_sync(lambda conn: store.take_download(conn, account, "ME2", NOW))
    assert not db.write_sync(lambda conn: store.take_download(conn, account, "ME2", NOW))
    assert not db.write_sync(lambda conn: store.take_download(conn, "AC" + "9" * 32, "ME3", NOW))
    expired = db.write_sync(lambda conn: store.expire_due(conn, NOW + 86_400_000))
    # The downloaded one too: a download cut off may have left its file behind.
    assert sorted(r.id for r in expired) == ["ME2", "ME3"]
    assert not db.write_sync(
        lambda conn: store.take_download(conn, account, "ME3", NOW + 86_400_001)
    )
    # An expired export is not built either.
    db.write_sync(lambda conn: store.insert(conn, _row("ME4", expires_ms=NOW)))
    assert db.write_sync(lambda conn: store.claim_next(conn, "a", NOW + 1, NOW + 9)) is None
