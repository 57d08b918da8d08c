"""The projector's write step sends its statements together (PostgreSQL's pipeline mode) and
its IN lists as one array parameter; what it writes is the same, a failure inside the pipeline
reaches the caller as any statement's would, and a write transaction run again after a
rollback writes the whole batch again."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import DBAPIError

from hindsight.insights.derive import ProjectionOptions
from hindsight.insights.projector import PreparedEvents, prepare, project, reset
from hindsight.store import accounts
from hindsight.store.any_of import any_of
from hindsight.store.database import Database
from hindsight.store.pipeline import pipelined
from hindsight.store.quality import assessments, catalogue, daily_totals
from hindsight.store.schema import conversation_scopes, qm_scope_sets, search_pick_values
from tests.store.test_projector_writes import projection, rows, run, the_log
from tests.support.projector_log import AC, T0, WS
from tests.support.rows import account_row

CALL = "CA" + "5" * 32
QUESTIONNAIRE = "GM" + "3" * 32


def test_any_of_matches_the_values_listed_and_an_empty_list_matches_nothing(
    db: Database,
) -> None:
    tags = [
        {"account_sid": AC, "conversation_id": f"C-{n}", "tag": f"team:{n % 3}"} for n in range(700)
    ]
    db.write_sync(lambda conn: conn.execute(insert(conversation_scopes), tags))
    query = select(conversation_scopes.c.conversation_id).where(
        any_of(conversation_scopes.c.conversation_id, "ids")
    )

    def found(ids: list[str]) -> list[str]:
        return db.read_sync(lambda conn: sorted(conn.execute(query, {"ids": ids}).scalars()))

    assert found(["C-1", "C-650", "C-nobody"]) == ["C-1", "C-650"]
    assert found([]) == []
    # Longer than any one IN list the store sends, and the same statement for every length.
    assert len(found([f"C-{n}" for n in range(700)])) == 700


def test_a_statement_failing_inside_the_pipeline_fails_the_transaction_as_usual(
    db: Database,
) -> None:
    tag = {"account_sid": AC, "conversation_id": "C-1", "tag": "team:1"}

    def twice(conn: Connection) -> None:
        with pipelined(conn):
            conn.execute(insert(conversation_scopes).inline(), tag)
            conn.execute(insert(conversation_scopes).inline(), tag)

    with pytest.raises(DBAPIError) as failed:
        db.write_sync(twice)
    assert getattr(failed.value.orig, "sqlstate", "23505") == "23505"
    # Nothing of the failed transaction stayed.
    assert db.read_sync(lambda conn: list(conn.execute(select(conversation_scopes)))) == []


def test_a_write_transaction_run_again_after_a_rollback_writes_the_batch_again(
    db: Database,
) -> None:
    log = the_log()
    run(db, [log])
    expected = projection(db)
    picks = rows(db, search_pick_values)
    assert picks, "the log fills pick lists"

    db.write_sync(reset)
    batch = PreparedEvents(
        log,
        db.read_sync(lambda conn: prepare(conn, WS, log, ProjectionOptions(), T0)),
    )

    class Deadlocked(Exception):
        pass

    def loser(conn: Connection) -> Any:
        # As a deadlock's loser: the whole plan written, then the transaction rolled back.
        project(conn, WS, batch, ProjectionOptions(), T0)
        raise Deadlocked

    with pytest.raises(Deadlocked):
        db.write_sync(loser)
    db.write_sync(lambda conn: project(conn, WS, batch, ProjectionOptions(), T0))
    assert projection(db) == expected
    assert rows(db, search_pick_values) == picks


def test_a_batch_retagging_assessed_conversations_refiles_their_totals_outside_the_pipeline(
    db: Database,
) -> None:
    """Totals of assessments are refiled around a scope-tag change, which reads: that batch
    is written without the pipeline, and the totals equal those computed from scratch."""

    def seed(conn: Connection) -> None:
        accounts.insert_account(conn, account_row(AC, T0))
        catalogue.insert_questionnaire(
            conn,
            {
                "sid": QUESTIONNAIRE,
                "account_sid": AC,
                "name": "Calls",
                "description": "",
                "active": True,
                "date_created": T0,
                "date_updated": T0,
            },
        )
        assessments.insert_review(
            conn,
            {
                "sid": "QR" + "1" * 32,
                "account_sid": AC,
                "segment_id": "SG" + "1" * 32,
                "conversation_id": CALL,
                "agent_id": "WK" + "3" * 32,
                "agent_name": "Ann",
                "queue_name": "Sales",
                "questionnaire_sid": QUESTIONNAIRE,
                "author_type": "user",
                "author_sid": "US" + "4" * 32,
                "author_name": "QA",
                "author_email": None,
                "status": "submitted",
                "score": 50.0,
                "submitted_ms": T0,
                "acknowledged_ms": None,
                "version": 1,
                "date_created": T0,
                "date_updated": T0,
            },
        )

    db.write_sync(seed)
    # The call's conversation gains its first scope tags in this batch: its review is refiled.
    run(db, [the_log()])
    assert rows(db, conversation_scopes)
    refiled = rows(db, qm_scope_sets)
    assert refiled, "the review is totalled under the conversation's tags"
    db.write_sync(lambda conn: daily_totals.rebuild(conn))
    assert rows(db, qm_scope_sets) == refiled
