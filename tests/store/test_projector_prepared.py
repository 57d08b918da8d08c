"""A batch computed on a read connection and written later writes what one transaction would,
and writes nothing stale when the projection changed in between (another projector took the
events in, or retention deleted what the batch read)."""

from __future__ import annotations

from sqlalchemy import Connection

from hindsight.insights.projector import reset
from hindsight.store import insights as insights_store
from hindsight.store import retention
from hindsight.store.database import Database
from tests.store.test_projector_writes import TASK, projection, run, the_log
from tests.support.projector_log import AC, T0, WS, prepared, write

CALL = "CA" + "5" * 32


def position(db: Database) -> int:
    return db.read_sync(lambda conn: insights_store.position(conn, WS))


def test_batches_prepared_then_written_project_what_one_transaction_does(db: Database) -> None:
    log = the_log()
    run(db, [log])
    whole = projection(db)

    db.write_sync(reset)
    # One event a batch: every regrouping move is a batch of its own, read before it is written.
    for event in log:
        write(db, prepared(db, [event]))
    assert projection(db) == whole
    assert position(db) == log[-1].seq


def test_a_batch_another_projector_took_in_meanwhile_is_not_written_again(db: Database) -> None:
    log = the_log()
    run(db, [log])
    whole = projection(db)

    db.write_sync(reset)
    first, rest = log[:5], log[5:]
    stale = prepared(db, first)
    assert stale.plan is not None
    # Another process's projector takes in the same events and more before this one writes.
    run(db, [first, rest])
    write(db, stale)
    assert projection(db) == whole
    assert position(db) == log[-1].seq


def test_a_batch_whose_conversation_was_deleted_meanwhile_is_computed_again(
    db: Database,
) -> None:
    log = the_log()
    ended = [e for e in log if e.event_date_ms < T0 + 200_000]
    later = [e for e in log if e.event_date_ms >= T0 + 200_000]

    def expire(conn: Connection) -> None:
        retention.delete_conversations(conn, AC, [CALL], [TASK])

    # What the log gives when retention deletes the call's conversation before the later events.
    run(db, [ended])
    db.write_sync(expire)
    run(db, [later])
    expected = projection(db)

    db.write_sync(reset)
    run(db, [ended])
    stale = prepared(db, later)
    assert stale.plan is not None
    db.write_sync(expire)
    write(db, stale)
    assert projection(db) == expected
    assert position(db) == log[-1].seq


def test_a_batch_the_cursor_is_already_past_is_not_prepared(db: Database) -> None:
    log = the_log()
    run(db, [log])
    assert prepared(db, log[:3]).plan is None
