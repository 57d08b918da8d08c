"""Routing keeps workflows and queues parsed between transactions; no change is missed for it.

`RoutingConfigurations` is checked against the workspace's routing version, which every change
to a workflow or queue bumps in its own transaction. The changes here come from a second
`Database` on the same URL: its own engine and connections, as another process has.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, insert

from hindsight.routing.configurations import RoutingConfigurations
from hindsight.store import routing_versions
from hindsight.store import task_queues as queue_store
from hindsight.store import workflows as workflow_store
from hindsight.store.database import Database, DatabaseOptions
from hindsight.store.schema import accounts, workflows, workspaces

AC = "AC" + "a" * 32
WS = "WS" + "b" * 32
OTHER_WS = "WS" + "e" * 32
WW = "WW" + "c" * 32
WQ = "WQ" + "d" * 32
FIRST_QUEUE = "WQ" + "1" * 32


def _document(default_queue: str) -> str:
    return json.dumps({"task_routing": {"filters": [], "default_filter": {"queue": default_queue}}})


FIRST = _document(FIRST_QUEUE)
SECOND = _document(WQ)
DATES = {"date_created": 1, "date_updated": 1}


def _workspace(conn: Connection, sid: str) -> None:
    conn.execute(
        insert(workspaces).values(
            sid=sid,
            account_sid=AC,
            friendly_name=sid,
            multi_task_enabled=False,
            prioritize_queue_order="FIFO",
            event_seq=0,
            **DATES,
        )
    )


def seed(conn: Connection) -> None:
    conn.execute(
        insert(accounts).values(
            sid=AC,
            friendly_name="a",
            status="active",
            auth_token_hash="0" * 64,
            auth_token_sealed="x",
            **DATES,
        )
    )
    _workspace(conn, WS)
    _workspace(conn, OTHER_WS)
    workflow_store.insert_workflow(
        conn,
        {
            "sid": WW,
            "account_sid": AC,
            "workspace_sid": WS,
            "friendly_name": "f",
            "configuration": FIRST,
            "task_reservation_timeout": 120,
            **DATES,
        },
    )
    queue_store.insert_queue(
        conn,
        {
            "sid": WQ,
            "account_sid": AC,
            "workspace_sid": WS,
            "friendly_name": "q",
            "target_workers": "team == 'a'",
            "task_order": "FIFO",
            "max_reserved_workers": 1,
            **DATES,
        },
    )


@pytest.fixture
def other_process(database_url: str, db: Database) -> Iterator[Database]:
    """A second Database on the same store: its own engine and connections."""
    db.write_sync(seed)
    other = Database(DatabaseOptions(url=database_url))
    try:
        yield other
    finally:
        other.close()


def config_text(kept: RoutingConfigurations, conn: Connection) -> str:
    workflow = kept.workflow(conn, WS, WW)
    assert workflow is not None
    return str(workflow.row.configuration)


def default_queue(kept: RoutingConfigurations, conn: Connection) -> str | None:
    workflow = kept.workflow(conn, WS, WW)
    assert workflow is not None
    return workflow.configuration.default_queue


def target_of(kept: RoutingConfigurations, conn: Connection) -> str:
    queue = kept.queue(conn, WS, WQ)
    assert queue is not None
    return str(queue.target_workers)


def test_another_process_s_workflow_change_is_seen_by_the_next_transaction(
    db: Database, other_process: Database
) -> None:
    kept = RoutingConfigurations()
    assert db.read_sync(lambda conn: default_queue(kept, conn)) == FIRST_QUEUE
    other_process.write_sync(
        lambda conn: workflow_store.update_workflow(conn, WW, {"configuration": SECOND})
    )
    assert db.read_sync(lambda conn: default_queue(kept, conn)) == WQ
    other_process.write_sync(lambda conn: workflow_store.delete_workflow(conn, WW))
    assert db.read_sync(lambda conn: kept.workflow(conn, WS, WW)) is None


def test_another_process_s_queue_change_is_seen_by_the_next_transaction(
    db: Database, other_process: Database
) -> None:
    kept = RoutingConfigurations()
    assert db.read_sync(lambda conn: target_of(kept, conn)) == "team == 'a'"
    assert [q.sid for q in db.read_sync(lambda conn: kept.queues(conn, WS))] == [WQ]
    other_process.write_sync(
        lambda conn: queue_store.update_queue(conn, WQ, {"target_workers": "team == 'b'"})
    )
    assert db.read_sync(lambda conn: target_of(kept, conn)) == "team == 'b'"
    other_process.write_sync(lambda conn: queue_store.delete_queue(conn, WQ))
    assert db.read_sync(lambda conn: kept.queue(conn, WS, WQ)) is None
    assert db.read_sync(lambda conn: kept.queues(conn, WS)) == []


def test_what_is_kept_is_not_read_again_while_the_version_stands(
    db: Database, other_process: Database
) -> None:
    # A write that bypasses the store's functions (and so the bump) is not seen: proof that
    # the second transaction used what the first one kept instead of reading the row again.
    kept = RoutingConfigurations()
    assert db.read_sync(lambda conn: config_text(kept, conn)) == FIRST
    other_process.write_sync(
        lambda conn: conn.execute(
            workflows.update().where(workflows.c.sid == WW).values(configuration=SECOND)
        )
    )
    assert db.read_sync(lambda conn: config_text(kept, conn)) == FIRST
    # A change to another workspace's routing leaves this one's kept rows valid.
    other_process.write_sync(lambda conn: routing_versions.bump(conn, OTHER_WS))
    assert db.read_sync(lambda conn: config_text(kept, conn)) == FIRST
    other_process.write_sync(lambda conn: routing_versions.bump(conn, WS))
    assert db.read_sync(lambda conn: config_text(kept, conn)) == SECOND


def test_a_transaction_sees_its_own_change_and_a_rolled_back_one_is_not_kept(
    db: Database, other_process: Database
) -> None:
    kept = RoutingConfigurations()
    assert db.read_sync(lambda conn: config_text(kept, conn)) == FIRST

    def change_then_fail(conn: Connection) -> None:
        workflow_store.update_workflow(conn, WW, {"configuration": SECOND})
        assert config_text(kept, conn) == SECOND
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        db.write_sync(change_then_fail)
    assert db.read_sync(lambda conn: config_text(kept, conn)) == FIRST
    # Another process then commits a change: it is seen, not the rolled-back document.
    other_process.write_sync(
        lambda conn: queue_store.update_queue(conn, WQ, {"target_workers": "1 == 1"})
    )
    assert db.read_sync(lambda conn: config_text(kept, conn)) == FIRST
    assert db.read_sync(lambda conn: target_of(kept, conn)) == "1 == 1"


def test_an_unknown_workspace_or_workflow_is_none(db: Database, other_process: Database) -> None:
    kept = RoutingConfigurations()
    assert db.read_sync(lambda conn: kept.workflow(conn, "WS" + "f" * 32, WW)) is None
    assert db.read_sync(lambda conn: kept.workflow(conn, OTHER_WS, WW)) is None
    assert db.read_sync(lambda conn: kept.queue(conn, OTHER_WS, WQ)) is None
