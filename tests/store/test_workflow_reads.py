"""Routing reads a workflow once per transaction; a change is never missed for it."""

from __future__ import annotations

from sqlalchemy import Connection, insert

from hindsight.store import workflows as workflow_store
from hindsight.store.database import Database
from hindsight.store.schema import accounts, workflows, workspaces

AC = "AC" + "a" * 32
WS = "WS" + "b" * 32
WW = "WW" + "c" * 32
FIRST = '{"task_routing": {"filters": []}}'
SECOND = '{"task_routing": {"filters": [], "default_filter": {"queue": "WQ1"}}}'


def seed(conn: Connection) -> None:
    dates = {"date_created": 1, "date_updated": 1}
    conn.execute(
        insert(accounts).values(
            sid=AC,
            friendly_name="a",
            status="active",
            auth_token_hash="0" * 64,
            auth_token_sealed="x",
            **dates,
        )
    )
    conn.execute(
        insert(workspaces).values(
            sid=WS,
            account_sid=AC,
            friendly_name="w",
            multi_task_enabled=False,
            prioritize_queue_order="FIFO",
            event_seq=0,
            **dates,
        )
    )
    workflow_store.insert_workflow(
        conn,
        {
            "sid": WW,
            "account_sid": AC,
            "workspace_sid": WS,
            "friendly_name": "f",
            "configuration": FIRST,
            "task_reservation_timeout": 120,
            **dates,
        },
    )


def configuration(conn: Connection) -> str:
    row = workflow_store.get_in_transaction(conn, WS, WW)
    assert row is not None
    return row.configuration


def test_a_transaction_sees_its_own_workflow_update_at_once(db: Database) -> None:
    db.write_sync(seed)

    def update_between_reads(conn: Connection) -> tuple[str, str, object]:
        before = configuration(conn)
        workflow_store.update_workflow(conn, WW, {"configuration": SECOND})
        after = configuration(conn)
        workflow_store.delete_workflow(conn, WW)
        return before, after, workflow_store.get_in_transaction(conn, WS, WW)

    assert db.write_sync(update_between_reads) == (FIRST, SECOND, None)


def test_the_next_transaction_sees_another_connections_update(db: Database) -> None:
    db.write_sync(seed)
    with db.write_engine.connect() as router:
        with router.begin():
            assert configuration(router) == FIRST
            assert configuration(router) == FIRST
        db.write_sync(
            lambda conn: conn.execute(
                workflows.update().where(workflows.c.sid == WW).values(configuration=SECOND)
            )
        )
        # The same connection's next pass (a process reusing its pooled connection) reads it.
        with router.begin():
            assert configuration(router) == SECOND
