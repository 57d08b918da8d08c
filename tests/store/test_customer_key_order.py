"""Customer keys hold their conversation's place in the list (start, row id): the projector
keeps it as the conversation's start moves, however the events fall into batches."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from hindsight.store.database import Database
from hindsight.store.schema import conversations, search_customer_keys
from tests.store.test_projector_writes import OTHER, TASK, WR1, WR2, run, task_events
from tests.support.projector_log import T0, LoggedEvent


def _attributes(conversation_id: str | None) -> str:
    shared = {"handling_team_name": "Blue"}
    if conversation_id is not None:
        shared["conversation_id"] = conversation_id
    return json.dumps(
        {"conversations": shared, "customers": {"name": "Jane Doe"}, "call_sid": "CA" + "7" * 32}
    )


def _log() -> list[LoggedEvent]:
    """Jane's conversation C-9 starts with OTHER at T0 + 10 s; TASK, started at T0 in a
    conversation of its own, joins C-9 at T0 + 50 s (before it ends), moving C-9's start."""
    joined_at, joined = T0 + 50_000, _attributes("C-9")
    # Events carry the task's attributes as they are then.
    steps = [
        (kind, at, {**data, "task_attributes": joined} if at >= joined_at else data)
        for kind, at, data in task_events(TASK, WR1, T0, _attributes(None))
    ]
    steps += task_events(OTHER, WR2, T0 + 10_000, joined)
    steps.append(("task.updated", joined_at, {"task_sid": TASK, "task_attributes": joined}))
    steps.sort(key=lambda step: step[1])
    return [
        LoggedEvent(seq, kind, json.dumps(data), at)
        for seq, (kind, at, data) in enumerate(steps, start=1)
    ]


def _places(db: Database) -> dict[str, Any]:
    """conversation id -> (its start and row id; the (start, row id) of each of its keys)."""

    def read(conn: Connection) -> dict[str, Any]:
        rows = {r.conversation_id: (r.start_ms, r.id) for r in conn.execute(select(conversations))}
        keys: dict[str, set[Any]] = {}
        for key in conn.execute(select(search_customer_keys)):
            keys.setdefault(key.conversation_id, set()).add((key.start_ms, key.row_id))
        return {cid: (rows.get(cid), keys.get(cid, set())) for cid in rows.keys() | keys.keys()}

    return db.read_sync(read)


def test_a_conversations_keys_follow_its_start_and_row(db: Database) -> None:
    log = _log()
    joined_at = next(e.seq for e in log if e.event_type == "task.updated")
    run(db, [log[: joined_at - 1]])
    before = _places(db)
    assert T0 + 10_000 <= before["C-9"][0][0] < T0 + 50_000
    run(db, [log[joined_at - 1 :]])
    after = _places(db)
    assert after["C-9"][0][0] < T0 + 10_000  # TASK's start: C-9's moved
    for cid, (row, keys) in after.items():
        assert row is not None, f"keys of {cid}, which has no row"
        assert keys == {row}, cid


def test_every_batching_leaves_the_keys_in_place(db: Database) -> None:
    run(db, [[event] for event in _log()])
    places = _places(db)
    assert places["C-9"][0][0] < T0 + 10_000
    assert all(keys == {row} for row, keys in places.values())
