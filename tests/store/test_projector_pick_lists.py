"""The projector's pick-list counts (taken off with the scope tags stored for a conversation,
added with the ones computed for it) equal the counts recomputed from the projection, however
the events fall into batches: a task regrouped into another team's conversation, media sent
after the end."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Connection, select

from hindsight.domain.search import pick_lists as rules
from hindsight.insights.projector import reset
from hindsight.store.database import Database
from hindsight.store.schema import conversations, search_pick_values, segments
from tests.store.test_projector_writes import TASK, WR1, attributes, run, task_events, the_log
from tests.support.projector_log import AC, T0, LoggedEvent

Counts = dict[tuple[str, str, str], int]


def _recounted(conn: Connection) -> Counts:
    counts: Counter[tuple[str, str, str]] = Counter()
    summaries = {r.conversation_id: r._mapping for r in conn.execute(select(conversations))}
    members: dict[str, list[Any]] = {}
    for row in conn.execute(select(segments).where(segments.c.conversation_id.is_not(None))):
        members.setdefault(row.conversation_id, []).append(row._mapping)
    for conversation, rows in members.items():
        counts.update(rules.contribution(summaries.get(conversation), rows))
    return dict(counts)


def _stored(conn: Connection) -> Counts:
    t = search_pick_values.c
    rows = conn.execute(select(search_pick_values).where(t.account_sid == AC))
    return {(r.facet, r.value, r.tag): r.uses for r in rows}


def _team_changed() -> list[LoggedEvent]:
    """A task whose team changes from Blue to Red before it ends: its conversation keeps
    segments before and after, under other scope tags."""
    red, changed_at = attributes(handling_team_name="Red"), T0 + 30_000
    steps = [
        (kind, at, {**data, "task_attributes": red} if at >= changed_at else data)
        for kind, at, data in task_events(TASK, WR1, T0, attributes(handling_team_name="Blue"))
    ]
    steps.append(("task.updated", changed_at, {"task_sid": TASK, "task_attributes": red}))
    steps.sort(key=lambda step: step[1])
    return [
        LoggedEvent(seq, kind, json.dumps(data), at)
        for seq, (kind, at, data) in enumerate(steps, start=1)
    ]


@pytest.mark.parametrize("log", [the_log(), _team_changed()], ids=["regrouped", "team-changed"])
def test_counts_equal_a_recount_however_batched(db: Database, log: list[LoggedEvent]) -> None:
    for batches in ([log], [[event] for event in log], [log[:3], log[3:6], log[6:]]):
        db.write_sync(reset)  # the whole projection, pick lists with it
        run(db, batches)
        recounted = db.read_sync(_recounted)
        assert db.read_sync(_stored) == recounted
