"""The pick-list counts on both stores: a value stays while any conversation shows it under a
tag, and goes with the last one (rewritten, retagged or deleted)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hindsight.domain.access import Scope
from hindsight.domain.search import pick_lists as rules
from hindsight.store.database import Database
from hindsight.store.search import pick_lists

ACCOUNT = "AC" + "0" * 32


def _rows(agent: str, team: str) -> list[dict[str, Any]]:
    return [{"agent_name": agent, "queue_name": "Calls", "handling_team_name": team}]


def _apply(db: Database, before: Any, after: Any) -> None:
    delta: Counter[rules.Entry] = Counter()
    rules.changes(
        rules.contribution(*before) if before else set(),
        rules.contribution(*after) if after else set(),
        into=delta,
    )
    db.write_sync(lambda conn: pick_lists.apply(conn, ACCOUNT, delta))


def _agents(db: Database, tags: tuple[str, ...] | None = None) -> list[str]:
    return db.read_sync(lambda conn: pick_lists.values(conn, ACCOUNT, "agent", tags))


def test_counts_follow_rewrites_retagging_and_deletion(db: Database) -> None:
    one = ({"outcome": "Resolved", "channel": "voice"}, _rows("Ann", "East"))
    two = ({"outcome": "resolved", "channel": "voice"}, _rows("Ann", "East"))
    _apply(db, None, one)
    _apply(db, None, two)
    east = Scope(teams=("East",)).tags()
    assert _agents(db) == ["Ann"] and _agents(db, east) == ["Ann"]
    # One of the two moves to another team: Ann is still East's (the other conversation).
    moved = ({"outcome": "resolved", "channel": "voice"}, _rows("Ann", "West"))
    _apply(db, two, moved)
    assert _agents(db, east) == ["Ann"]
    _apply(db, one, None)
    assert _agents(db, east) == []
    west = Scope(teams=("West",)).tags()
    assert _agents(db, west) == ["Ann"]
    outcomes = db.read_sync(lambda conn: pick_lists.values(conn, ACCOUNT, "outcome", None))
    assert outcomes == ["resolved"]
    _apply(db, moved, None)
    assert _agents(db) == []


def test_values_sort_case_insensitively_and_untagged_conversations_count(db: Database) -> None:
    for agent in ("bob", "Alice", "Émile"):
        _apply(db, None, ({}, [{"agent_name": agent}]))
    assert _agents(db) == ["Alice", "bob", "Émile"]
    assert _agents(db, ("team:x",)) == []
