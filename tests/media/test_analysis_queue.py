"""The job queue in the database: one claimer per job, and a dead worker's job comes back."""

from __future__ import annotations

from hindsight.store import media_analyses as store

ACCOUNT = "AC" + "c" * 32


def job(key: str, now: int = 1_000) -> dict:
    return {
        "account_sid": ACCOUNT,
        "media_key": key,
        "source_sealed": "sealed",
        "channels": None,
        "status": store.PENDING,
        "attempts": 0,
        "next_attempt_ms": now,
        "lease_until_ms": 0,
        "date_created": now,
        "date_updated": now,
    }


def test_a_job_is_created_once_and_claimed_by_one_worker(db):
    first = db.write_sync(lambda conn: store.create_if_absent(conn, job("url:a")))
    again = db.write_sync(
        lambda conn: store.create_if_absent(conn, {**job("url:a"), "source_sealed": "other"})
    )
    assert again.id == first.id and again.source_sealed == "sealed"
    claimed = db.write_sync(lambda conn: store.claim_next(conn, "w1", 2_000, 62_000))
    assert claimed.id == first.id and claimed.status == store.RUNNING and claimed.attempts == 1
    assert db.write_sync(lambda conn: store.claim_next(conn, "w2", 3_000, 63_000)) is None
    # Only the lease holder can finish it.
    assert not db.write_sync(lambda conn: store.finish(conn, first.id, "w2", 4_000, {"codec": "x"}))
    assert db.write_sync(lambda conn: store.finish(conn, first.id, "w1", 4_000, {"codec": "x"}))
    assert db.read_sync(lambda conn: store.find(conn, ACCOUNT, "url:a")).status == store.DONE


def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(db):
    created = db.write_sync(lambda conn: store.create_if_absent(conn, job("url:b")))
    db.write_sync(lambda conn: store.claim_next(conn, "dead", 2_000, 62_000))
    assert db.write_sync(lambda conn: store.claim_next(conn, "alive", 61_999, 99_000)) is None
    retaken = db.write_sync(lambda conn: store.claim_next(conn, "alive", 62_001, 122_001))
    assert retaken.id == created.id and retaken.lease_owner == "alive" and retaken.attempts == 2
    # The dead worker's late answer is ignored.
    assert not db.write_sync(lambda conn: store.fail(conn, created.id, "dead", 70_000, "late"))


def test_a_retry_waits_for_its_time_and_a_released_job_is_due_at_once(db):
    created = db.write_sync(lambda conn: store.create_if_absent(conn, job("url:c")))
    db.write_sync(lambda conn: store.claim_next(conn, "w", 2_000, 62_000))
    db.write_sync(lambda conn: store.retry_later(conn, created.id, "w", 3_000, 10_000, "busy"))
    assert db.write_sync(lambda conn: store.claim_next(conn, "w", 9_999, 70_000)) is None
    again = db.write_sync(lambda conn: store.claim_next(conn, "w", 10_000, 70_000))
    assert again.attempts == 2 and again.error == "busy"
    db.write_sync(lambda conn: store.release(conn, created.id, "w", 11_000))
    released = db.read_sync(lambda conn: store.find(conn, ACCOUNT, "url:c"))
    assert released.status == store.PENDING and released.attempts == 1
    assert db.write_sync(lambda conn: store.claim_next(conn, "w", 11_000, 71_000)).id == created.id
