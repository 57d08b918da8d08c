"""The projector writes only what changed, and how events fall into batches changes nothing.

Runs `project` on a fresh database of each backend with events as the log holds them.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from hindsight.insights.derive import ProjectionOptions
from hindsight.insights.projector import project, reset
from hindsight.store.database import Database
from hindsight.store.schema import conversation_scopes, conversations, projection_tasks, segments
from tests.support.projector_log import QUEUE, T0, WS, LoggedEvent, logged

TASK, OTHER = "WT" + "1" * 32, "WT" + "2" * 32
WR1, WR2 = "WR" + "1" * 32, "WR" + "2" * 32
WORKER = "WK" + "3" * 32
REFERENCED = {"type": "Referenced", "url": "https://tickets.example.org/T-1"}


def attributes(**conversations: Any) -> str:
    return json.dumps({"conversations": conversations, "call_sid": "CA" + "5" * 32})


def task_events(task: str, reservation: str, start: int, raw: str) -> list[tuple[str, int, dict]]:
    base = {"task_sid": task, "task_attributes": raw, "task_channel_unique_name": "voice"}
    offer = {**base, "reservation_sid": reservation, "worker_sid": WORKER, "worker_name": "Ann"}
    queue = {"task_queue_sid": QUEUE, "task_queue_name": "Sales"}
    return [
        ("task.created", start, base),
        ("task-queue.entered", start + 1_000, {**base, **queue}),
        ("reservation.created", start + 2_000, {**offer, **queue}),
        ("reservation.accepted", start + 5_000, offer),
        ("reservation.wrapup", start + 60_000, offer),
        ("task.completed", start + 70_000, base),
        ("reservation.completed", start + 70_000, offer),
    ]


def the_log() -> list[LoggedEvent]:
    """Two tasks of one call, one regrouped before it ends, media sent after the end."""
    first = attributes(handling_team_name="Blue")
    regrouped = attributes(conversation_id="C-9", handling_team_name="Green")
    steps = task_events(TASK, WR1, T0, first)
    regrouped_at = T0 + 150_000
    for kind, at, data in task_events(OTHER, WR2, T0 + 100_000, first):
        # Events carry the task's attributes as they are then.
        later = at >= regrouped_at and "task_attributes" in data
        steps.append((kind, at, {**data, "task_attributes": regrouped} if later else data))
    steps.append(("task.updated", regrouped_at, {"task_sid": OTHER, "task_attributes": regrouped}))
    # Written again unchanged after the end, then with media: only the second counts.
    steps.append(("task.updated", T0 + 200_000, {"task_sid": TASK, "task_attributes": first}))
    late = attributes(handling_team_name="Blue", media=[REFERENCED])
    steps.append(("task.updated", T0 + 210_000, {"task_sid": TASK, "task_attributes": late}))
    steps.sort(key=lambda step: step[1])
    return logged(steps)


def run(db: Database, batches: list[list[LoggedEvent]], now_ms: int = T0) -> None:
    for number, batch in enumerate(batches):

        def unit(conn: Connection, batch: list[LoggedEvent] = batch, n: int = number) -> None:
            project(conn, WS, batch, ProjectionOptions(), now_ms + n)

        db.write_sync(unit)


def rows(db: Database, table: Any, *, with_updated: bool = False) -> list[dict[str, Any]]:
    def read(conn: Connection) -> list[dict[str, Any]]:
        found = [
            {
                k: v
                for k, v in row._mapping.items()
                if k != "id" and (with_updated or k != "updated_ms")
            }
            for row in conn.execute(select(table))
        ]
        return sorted(found, key=lambda r: json.dumps(r, sort_keys=True, default=str))

    return db.read_sync(read)


def projection(db: Database) -> dict[str, list[dict[str, Any]]]:
    return {
        t.name: rows(db, t)
        for t in (segments, conversations, conversation_scopes, projection_tasks)
    }


def test_one_event_per_batch_projects_what_one_batch_does(db: Database) -> None:
    log = the_log()
    run(db, [log])
    whole = projection(db)
    assert {r["conversation_id"] for r in whole["conversations"]} == {"CA" + "5" * 32, "C-9"}
    assert {r["tag"] for r in whole["conversation_scopes"] if r["conversation_id"] == "C-9"} == {
        "team:green",
        f"team:{QUEUE.lower()}",  # no team id given: the queue stands for it
        "queue:sales",
        f"queue:{QUEUE.lower()}",
    }

    db.write_sync(reset)
    run(db, [[event] for event in log])
    assert projection(db) == whole


def test_an_event_that_changes_nothing_writes_nothing(db: Database) -> None:
    log = the_log()
    ended = [e for e in log if e.event_date_ms < T0 + 200_000]
    run(db, [ended], now_ms=T0)
    before = {t.name: rows(db, t, with_updated=True) for t in (segments, conversations)}
    tags = rows(db, conversation_scopes)

    same_again = [e for e in log if e.event_date_ms == T0 + 200_000]
    run(db, [same_again], now_ms=T0 + 10_000_000)
    assert {t.name: rows(db, t, with_updated=True) for t in (segments, conversations)} == before
    assert rows(db, conversation_scopes) == tags

    late_media = [e for e in log if e.event_date_ms == T0 + 210_000]
    run(db, [late_media], now_ms=T0 + 20_000_000)
    rewritten = [r for r in rows(db, segments, with_updated=True) if r["updated_ms"] > T0 + 1]
    assert {r["task_sid"] for r in rewritten} == {TASK}
    assert all(json.loads(r["media"])[0]["url"] == REFERENCED["url"] for r in rewritten)
    assert all(r["media_late_ms"] == T0 + 210_000 for r in rewritten)
    assert rows(db, conversation_scopes) == tags


def test_a_task_regrouped_twice_ends_in_its_last_conversation_however_batched(
    db: Database,
) -> None:
    """Moves are applied when the batch is saved: the task's segments land in the latest
    conversation, and one it passed through keeps neither a summary nor a scope tag."""
    onward = attributes(conversation_id="C-10", handling_team_name="Red")
    moved_at = T0 + 155_000
    steps = [(e.event_type, e.event_date_ms, json.loads(e.event_data)) for e in the_log()]
    steps.append(("task.updated", moved_at, {"task_sid": OTHER, "task_attributes": onward}))
    steps = [
        (kind, at, {**data, "task_attributes": onward})
        if data.get("task_sid") == OTHER and at >= moved_at and "task_attributes" in data
        else (kind, at, data)
        for kind, at, data in sorted(steps, key=lambda step: step[1])
    ]
    log = [
        LoggedEvent(seq, kind, json.dumps(data), at)
        for seq, (kind, at, data) in enumerate(steps, start=1)
    ]
    run(db, [[event] for event in log])
    one_by_one = projection(db)
    assert "C-9" not in {r["conversation_id"] for r in one_by_one["conversations"]}
    assert "C-9" not in {r["conversation_id"] for r in one_by_one["conversation_scopes"]}
    assert {r["conversation_id"] for r in one_by_one["segments"] if r["task_sid"] == OTHER} == {
        "C-10"
    }
    assert "team:red" in {
        r["tag"] for r in one_by_one["conversation_scopes"] if r["conversation_id"] == "C-10"
    }

    db.write_sync(reset)
    run(db, [log])
    assert projection(db) == one_by_one
