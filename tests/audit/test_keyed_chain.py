"""The audit chain resists someone with database access alone: a trail rewritten and
re-chained, cut short, or with forged checkpoints fails `verify`; rotating the key keeps old
records verifiable. Run against a real runtime on both stores."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from hindsight.app import Runtime, build_runtime
from hindsight.audit import keyring
from hindsight.audit.checkpoints import Checkpoint
from hindsight.audit.trail import SYSTEM
from hindsight.domain import audit_chain
from hindsight.settings import Settings
from hindsight.store import audit as audit_store
from hindsight.store.schema import audit_head, audit_records
from tests.conftest import BACKENDS, POSTGRES_ADMIN_URL
from tests.support.runtime import database_url_for


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with database_url_for(request.param, tmp_path, POSTGRES_ADMIN_URL) as url:
        yield Settings(data_dir=tmp_path / "data", database_url=url)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    try:
        yield runtime
    finally:
        runtime.close()


def _record(runtime: Runtime, count: int) -> None:
    async def record() -> None:
        for n in range(count):
            await runtime.services.audit.record(SYSTEM, "test.event", detail={"n": n})

    asyncio.run(record())


def _publish(runtime: Runtime) -> Checkpoint | None:
    return asyncio.run(runtime.services.audit.publish_checkpoint())


def _records(runtime: Runtime) -> list[dict]:
    return runtime.db.read_sync(lambda conn: [r.fields() for r in audit_store.in_order(conn)])


def _rechain_without(runtime: Runtime, removed_seq: int) -> None:
    """What someone with only the database can do: delete a record, renumber the rest and
    recompute every hash and the head (with the only hash they can compute, unkeyed)."""
    kept = [r for r in _records(runtime) if r["seq"] != removed_seq]

    def rewrite(conn) -> None:
        conn.execute(delete(audit_records))
        previous = audit_chain.GENESIS
        for seq, record in enumerate(kept, start=1):
            row = {**record, "seq": seq, "previous_hash": previous}
            row["hash"] = previous = audit_chain.chain_hash(previous, row)
            conn.execute(audit_records.insert().values(**row))
        conn.execute(update(audit_head).values(seq=len(kept), hash=previous))

    runtime.db.write_sync(rewrite)


def test_records_are_keyed_and_verify(runtime):
    _record(runtime, 5)
    records = _records(runtime)
    assert all(audit_chain.key_number(r["hash"]) == 1 for r in records)
    result = runtime.services.audit.verify()
    assert result.intact and result.records == 5


def test_a_deleted_record_with_the_chain_recomputed_is_detected(runtime):
    _record(runtime, 6)
    _rechain_without(runtime, 3)
    result = runtime.services.audit.verify()
    assert not result.intact
    assert "not keyed" in result.broken.reason


def test_a_trail_cut_short_is_detected_through_the_published_checkpoint(runtime):
    _record(runtime, 6)
    checkpoint = _publish(runtime)
    assert checkpoint is not None and checkpoint.seq == 6
    assert runtime.services.audit.verify().checkpoints == 1

    def cut(conn) -> None:
        # A keyed prefix of the chain is still a valid chain: only the checkpoint knows more.
        conn.execute(delete(audit_records).where(audit_records.c.seq > 4))
        last = conn.execute(select(audit_records.c.hash).where(audit_records.c.seq == 4))
        conn.execute(update(audit_head).values(seq=4, hash=last.scalar()))

    runtime.db.write_sync(cut)
    result = runtime.services.audit.verify()
    assert not result.intact
    assert result.broken.record_id == 6 and "removed from the end" in result.broken.reason


def test_checkpoints_are_published_to_a_file_and_an_edited_one_is_detected(runtime, settings):
    _record(runtime, 3)
    _publish(runtime)
    assert _publish(runtime) is None  # nothing new to publish
    path = settings.resolved_audit_checkpoint_file()
    [line] = path.read_text().splitlines()
    # Moving the checkpoint back to cover a truncation needs the key.
    path.write_text(line.replace('"seq":3', '"seq":2').replace('"count":3', '"count":2') + "\n")
    result = runtime.services.audit.verify()
    assert not result.intact and "did not sign" in result.broken.reason
    path.write_text("not a checkpoint\n")
    assert "checkpoint file was edited" in runtime.services.audit.verify().broken.reason


def test_a_rotated_key_signs_new_records_and_old_ones_still_verify(settings):
    first = build_runtime(settings)
    try:
        _record(first, 3)
    finally:
        first.close()
    rotated = keyring.rotate(settings.resolved_audit_keyring())
    assert rotated.current.number == 2 and set(rotated.keys) == {1, 2}
    second = build_runtime(settings)
    try:
        _record(second, 2)
        assert [audit_chain.key_number(r["hash"]) for r in _records(second)] == [1, 1, 1, 2, 2]
        assert second.services.audit.verify().intact
    finally:
        second.close()
    # Without the old key, its records cannot be verified (nor forged).
    path = settings.resolved_audit_keyring()
    path.write_text(path.read_text().replace('"1":', '"9":'))
    third = build_runtime(settings)
    try:
        broken = third.services.audit.verify().broken
        assert broken is not None and "audit key 1" in broken.reason
    finally:
        third.close()
