"""Keeping the pick lists current: the projector reports each conversation it rewrites,
before and after, and the count changes are written once per batch in its transaction
(retention takes deleted conversations off in store/search/pick_lists.py)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from hindsight.domain.search import pick_lists as rules
from hindsight.store.search import pick_lists as store

Rows = Sequence[Mapping[str, Any]]


class PickListChanges:
    """The count changes of one batch of conversation rewrites."""

    def __init__(self) -> None:
        self._delta: Counter[rules.Entry] = Counter()

    def rewritten(
        self,
        summary_before: Mapping[str, Any] | None,
        rows_before: Rows,
        summary_after: Mapping[str, Any] | None,
        rows_after: Rows,
        tags: tuple[set[str], set[str]] | None = None,
    ) -> None:
        """`tags`: the scope tags before and after, when the caller has them (the projector
        reads the stored ones and computes the new ones anyway)."""
        before_tags, after_tags = tags if tags is not None else (None, None)
        rules.changes(
            rules.contribution(summary_before, list(rows_before), before_tags),
            rules.contribution(summary_after, list(rows_after), after_tags),
            into=self._delta,
        )

    def save(self, conn: Connection, account_sid: str) -> None:
        # The changes are kept: a write transaction that fails (a deadlock's loser) is run
        # again from its start, and must write them again.
        store.apply(conn, account_sid, self._delta)
