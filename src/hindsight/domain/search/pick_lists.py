"""The values the search form offers in its pick lists (queue, agent, team, outcome, channel),
and what one conversation contributes to them.

Each conversation contributes every (facet, value, scope tag) it shows: the queues and agents of
its segments, the teams that handled them, its outcome and channel, once per scope tag it is
filed under (the empty tag when none). Counted per tuple, the lists follow conversations being
rewritten, retagged or deleted exactly, and a scoped person is offered only values of
conversations they may see.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from hindsight.domain.access import conversation_tags

FACETS = ("queue", "agent", "team", "outcome", "channel")
# Which segment column each facet reads; outcome and channel are the conversation's own.
_SEGMENT_COLUMNS = {"queue": "queue_name", "agent": "agent_name", "team": "handling_team_name"}
_SUMMARY_COLUMNS = {"outcome": "outcome", "channel": "channel"}
UNTAGGED = ""
# Longer values are not names a person picks from a list.
MAX_VALUE = 200

Entry = tuple[str, str, str]  # (facet, value, tag)


def fold(value: str) -> str:
    """How typed text and stored values are compared: "sales" finds "Sales"."""
    return value.strip().casefold()


def _usable(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if value and len(value) <= MAX_VALUE and "\x00" not in value else None


def facet_values(
    summary: Mapping[str, Any] | None, rows: Iterable[Mapping[str, Any]]
) -> set[tuple[str, str]]:
    """(facet, value) pairs a conversation shows: its segments' and its summary's."""
    found: set[tuple[str, str]] = set()
    for row in rows:
        for facet, column in _SEGMENT_COLUMNS.items():
            value = _usable(row.get(column))
            if value is not None:
                found.add((facet, value))
    if summary is not None:
        for facet, column in _SUMMARY_COLUMNS.items():
            value = _usable(summary.get(column))
            if value is not None:
                found.add((facet, value))
    return found


def contribution(
    summary: Mapping[str, Any] | None,
    rows: list[Mapping[str, Any]],
    tags: set[str] | None = None,
) -> set[Entry]:
    """What one conversation adds to the pick lists (nothing when it has no segments).
    `tags` are the rows' scope tags when the caller has them (reading them from the rows
    parses every segment's attributes)."""
    if not rows:
        return set()
    tags = (conversation_tags(rows) if tags is None else tags) or {UNTAGGED}
    return {(facet, value, tag) for facet, value in facet_values(summary, rows) for tag in tags}


def changes(
    before: set[Entry], after: set[Entry], into: Counter[Entry] | None = None
) -> Counter[Entry]:
    """The count changes taking a conversation from `before` to `after` (added to `into`)."""
    delta: Counter[Entry] = into if into is not None else Counter()
    for entry in after - before:
        delta[entry] += 1
    for entry in before - after:
        delta[entry] -= 1
    return delta
