"""Statements sent directly to the driver (store.direct) behave as Core's execution would:
same rows and types, same transaction, same exceptions, seen by the same listeners."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from hindsight.store.direct import DirectStatement
from hindsight.store.schema import accounts, workspaces
from tests.support.rows import account_row

ACCOUNT = "AC" + "1" * 32
WORKSPACE = "WS" + "2" * 32


def _workspace(multi_task: bool) -> dict[str, Any]:
    return {
        "sid": WORKSPACE,
        "account_sid": ACCOUNT,
        "friendly_name": "w",
        "multi_task_enabled": multi_task,
        "prioritize_queue_order": "FIFO",
        "event_seq": 0,
        "date_created": 1,
        "date_updated": 1,
    }


_READ = DirectStatement(
    select(workspaces, accounts.c.friendly_name.label("account_name"))
    .join(accounts, accounts.c.sid == workspaces.c.account_sid)
    .where(workspaces.c.sid == bindparam("sid"))
)
_INSERT_ACCOUNT = DirectStatement(insert(accounts))
_RENAME = DirectStatement(
    update(workspaces)
    .where(workspaces.c.sid == bindparam("key_sid"), workspaces.c.date_created == 1)
    .returning(workspaces.c.friendly_name, workspaces.c.multi_task_enabled)
)


@pytest.mark.parametrize("multi_task", [True, False])
def test_a_row_reads_as_core_reads_it(db, multi_task: bool) -> None:
    def unit(conn):
        _INSERT_ACCOUNT.execute(conn, account_row(ACCOUNT))
        conn.execute(insert(workspaces), _workspace(multi_task))
        core = conn.execute(_READ._statement, {"sid": WORKSPACE}).first()
        return dict(core._mapping), _READ.first(conn, {"sid": WORKSPACE})

    core, direct = db.write_sync(unit)
    assert direct == core
    # SQLite stores booleans as integers: Core's result processor turns them back.
    assert direct["multi_task_enabled"] is multi_task
    assert direct["account_name"] == "t"
    assert db.read_sync(lambda conn: _READ.first(conn, {"sid": "WS" + "9" * 32})) is None


def test_a_returning_update_with_a_literal_in_its_where_clause(db) -> None:
    def unit(conn):
        _INSERT_ACCOUNT.execute(conn, account_row(ACCOUNT))
        conn.execute(insert(workspaces), _workspace(True))
        return _RENAME.scalars(conn, {"friendly_name": "renamed", "key_sid": WORKSPACE})

    assert db.write_sync(unit) == ["renamed"]
    assert db.read_sync(lambda conn: _READ.first(conn, {"sid": WORKSPACE}))["friendly_name"] == (
        "renamed"
    )


def test_its_writes_belong_to_the_callers_transaction(db) -> None:
    def unit(conn):
        _INSERT_ACCOUNT.execute(conn, account_row(ACCOUNT))
        raise ValueError("the unit fails after writing")

    with pytest.raises(ValueError):
        db.write_sync(unit)
    count = db.read_sync(lambda conn: conn.execute(select(accounts.c.sid)).all())
    assert count == []


def test_driver_errors_are_sqlalchemys(db) -> None:
    db.write_sync(lambda conn: _INSERT_ACCOUNT.execute(conn, account_row(ACCOUNT)))
    with pytest.raises(IntegrityError) as raised:
        db.write_sync(lambda conn: _INSERT_ACCOUNT.execute(conn, account_row(ACCOUNT)))
    assert isinstance(raised.value, DBAPIError)
    assert raised.value.orig is not None


def test_listeners_see_each_statement(db) -> None:
    seen: list[str] = []

    def listen(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(statement)

    event.listen(db.write_engine, "before_cursor_execute", listen)
    try:
        db.write_sync(lambda conn: _INSERT_ACCOUNT.execute(conn, account_row(ACCOUNT)))
    finally:
        event.remove(db.write_engine, "before_cursor_execute", listen)
    assert [s for s in seen if s.startswith("INSERT INTO accounts")] != []


def test_statements_core_would_complete_are_refused(db) -> None:
    # workspaces.event_seq has a Python-side default, which Core fills in at execution.
    row = _workspace(True)
    del row["event_seq"]
    direct = DirectStatement(insert(workspaces))
    with pytest.raises(ValueError, match="column defaults"):
        db.write_sync(lambda conn: direct.execute(conn, row))
