"""Units of work: atomicity, group commit, and errors that touch only their own unit."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import func, insert, select

from hindsight.store import migrate
from hindsight.store.database import Database, DatabaseOptions
from hindsight.store.schema import accounts
from tests.support.rows import account_row


def _insert(sid: str):
    def unit(conn):
        conn.execute(insert(accounts).values(**account_row(sid)))
        return sid

    return unit


def _insert_then_fail(sid: str):
    def unit(conn):
        conn.execute(insert(accounts).values(**account_row(sid)))
        raise ValueError(f"unit {sid} refuses")

    return unit


def _count(db) -> int:
    return db.read_sync(
        lambda conn: conn.execute(select(func.count()).select_from(accounts)).scalar()
    )


def _sids(db) -> set[str]:
    return set(db.read_sync(lambda conn: conn.execute(select(accounts.c.sid)).scalars().all()))


def test_a_failing_unit_leaves_nothing_behind(db):
    with pytest.raises(ValueError):
        db.write_sync(_insert_then_fail("AC" + "1" * 32))
    assert _count(db) == 0


def test_units_submitted_together_keep_their_own_outcomes(db):
    good = ["AC" + f"{i:032x}" for i in range(1, 40)]
    bad = ["AC" + f"{i:032x}" for i in range(100, 105)]

    async def submit_all():
        units = [_insert(s) for s in good] + [_insert_then_fail(s) for s in bad]
        return await asyncio.gather(*(db.write(u) for u in units), return_exceptions=True)

    results = asyncio.run(submit_all())
    assert results[: len(good)] == good
    assert all(isinstance(r, ValueError) for r in results[len(good) :])
    assert _sids(db) == set(good)


def test_a_constraint_violation_fails_only_the_duplicate(db):
    sid = "AC" + "2" * 32

    async def submit_twice():
        return await asyncio.gather(
            db.write(_insert(sid)), db.write(_insert(sid)), return_exceptions=True
        )

    outcomes = asyncio.run(submit_twice())
    # Which one wins is up to the database (PostgreSQL runs them on two connections).
    assert sorted(type(o).__name__ for o in outcomes) == ["IntegrityError", "str"]
    assert sid in outcomes
    assert _sids(db) == {sid}


def test_reads_see_committed_writes(db):
    async def write_then_read():
        await db.write(_insert("AC" + "3" * 32))
        return await db.read(lambda conn: conn.execute(select(accounts.c.sid)).scalars().all())

    assert asyncio.run(write_then_read()) == ["AC" + "3" * 32]


def _checkpoint_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "sqlite-checkpoint")


@pytest.mark.parametrize("checkpoints", [True, False])
def test_a_process_told_not_to_checkpoint_starts_no_checkpointer(tmp_path, checkpoints):
    """`hindsight serve`'s HTTP workers leave the WAL to their background process."""
    url = f"sqlite:///{tmp_path / 'hindsight.db'}"
    db = Database(DatabaseOptions(url=url, sqlite_checkpoints=checkpoints))
    migrate.upgrade(db.write_engine)
    before = _checkpoint_threads()

    async def write() -> str:
        return await db.write(_insert("AC" + "7" * 32))

    try:
        assert asyncio.run(write()) == "AC" + "7" * 32
        assert _checkpoint_threads() - before == (1 if checkpoints else 0)
        assert _sids(db) == {"AC" + "7" * 32}
    finally:
        db.close()
