"""PostgreSQL lock conflicts and refused connections never reach a client as a 500.

A unit that loses a deadlock (or a serialization failure) runs again; one that loses every
attempt, or finds the server refusing connections, fails as `Unavailable` (503 with
Retry-After), with nothing written. PostgreSQL raises the real errors here: a DO block raises
them with their SQLSTATE, as the server does when it picks a deadlock's victim.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, insert, select, text

from hindsight.domain.errors import Unavailable
from hindsight.store import migrate
from hindsight.store.database import Database, DatabaseOptions
from hindsight.store.schema import accounts
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support.runtime import database_url_for

pytestmark = pytest.mark.postgres


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with database_url_for("postgres", tmp_path, POSTGRES_ADMIN_URL) as url:
        database = Database(DatabaseOptions(url=url, pool_size=2))
        migrate.upgrade(database.write_engine)
        try:
            yield database
        finally:
            database.close()


def _raise(conn: Connection, sqlstate: str) -> None:
    conn.execute(
        text(f"DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '{sqlstate}'; END $$")
    )


def _insert_account(conn: Connection, sid: str) -> None:
    conn.execute(
        insert(accounts).values(
            sid=sid,
            friendly_name="t",
            status="active",
            auth_token_hash="0" * 64,
            auth_token_sealed="x",
            date_created=1,
            date_updated=1,
        )
    )


def _accounts(db: Database) -> list[str]:
    return list(db.read_sync(lambda conn: conn.execute(select(accounts.c.sid)).scalars().all()))


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_unit_that_loses_a_conflict_runs_again_and_only_its_last_run_counts(
    db: Database, sqlstate: str
) -> None:
    attempts: list[str] = []

    def unit(conn: Connection) -> int:
        sid = "AC" + f"{len(attempts) + 1:032x}"
        attempts.append(sid)
        _insert_account(conn, sid)
        if len(attempts) < 3:
            _raise(conn, sqlstate)
        return len(attempts)

    assert db.write_sync(unit) == 3
    assert _accounts(db) == [attempts[-1]]


def test_a_unit_that_loses_every_conflict_is_unavailable_and_writes_nothing(
    db: Database,
) -> None:
    runs = 0

    def unit(conn: Connection) -> None:
        nonlocal runs
        runs += 1
        _insert_account(conn, "AC" + f"{runs:032x}")
        _raise(conn, "40P01")

    with pytest.raises(Unavailable) as raised:
        db.write_sync(unit)
    assert raised.value.status == 503
    assert raised.value.retry_after == 1
    assert runs > 1
    count = db.read_sync(
        lambda conn: conn.execute(select(func.count()).select_from(accounts)).scalar()
    )
    assert count == 0


@pytest.mark.parametrize("sqlstate", ["53300", "57P03"])
def test_a_server_refusing_work_is_unavailable_not_an_error(db: Database, sqlstate: str) -> None:
    with pytest.raises(Unavailable):
        db.write_sync(lambda conn: _raise(conn, sqlstate))
    with pytest.raises(Unavailable):
        db.read_sync(lambda conn: _raise(conn, sqlstate))


def test_other_database_errors_are_not_disguised(db: Database) -> None:
    with pytest.raises(Exception) as raised:
        db.write_sync(lambda conn: _raise(conn, "22012"))  # division_by_zero
    assert not isinstance(raised.value, Unavailable)
