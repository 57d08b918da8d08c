"""A page of a SQLite text search sorted by start, read from the full-text index in the
list's order (store/search/timeline.py): the matches come newest (or oldest) first in
batches, each batch's conversations are checked against every other filter and the viewer's
scope, and reading stops once a page is certain.

The list's order is (start, row id) and the index's is (start, a sequence within the
millisecond): they agree on the millisecond only. So once a page's worth is found, the rest
of the last millisecond read is read too, and the rows are put in the list's order here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.search import text_query
from hindsight.store import insights_queries as queries
from hindsight.store import keyset
from hindsight.store.insights_queries import ConversationCriteria, ScopeTags
from hindsight.store.keyset import SortKey
from hindsight.store.schema import conversations
from hindsight.store.search import timeline

# Matches read in the largest batch: a batch grows fourfold while the other filters reject
# most of what it holds (a narrow scope), from a page's worth.
MOST = 4_096
FIRST = 4


def indexed(dialect: str, filters: ConversationCriteria) -> bool:
    """Whether this search's text is matched in the time-ordered index as the list reads it:
    SQLite, a text to match, not already narrowed to its few matches."""
    return (
        dialect == "sqlite"
        and filters.within is None
        and bool(filters.text)
        and not text_query.parse(filters.text or "").empty
    )


def walks(dialect: str, filters: ConversationCriteria, sort_field: str) -> bool:
    """Whether a page of this search is read from the time-ordered index: an `indexed` text
    and the list sorted by start (the index's order)."""
    return indexed(dialect, filters) and sort_field == "start"


def page(
    conn: Connection,
    account_sid: str,
    filters: ConversationCriteria,
    scope: ScopeTags,
    keys: Sequence[SortKey],
    request: PageRequest,
) -> PageResult[Any]:
    """One page of the list sorted by `keys` (start, then row id) of the conversations the
    filters match, as `keyset.fetch_page` would return it."""
    forward = request.before is None
    boundary = request.after if forward else request.before
    newest_first = keys[0].descending == forward
    expression = timeline.fts_query(
        text_query.parse(filters.text or ""), filters.search_transcripts
    )
    low, high = timeline.key_range(filters.start_ms, filters.end_ms)
    if boundary is not None:  # keys of the boundary's millisecond onwards
        first, last = timeline.millisecond_range(boundary[0] * timeline.PER_MS)
        low, high = (low, min(high, last)) if newest_first else (max(low, first), high)
    held = select(conversations).where(
        *queries.conditions(account_sid, filters, "sqlite", scope, text=queries.UNASKED)
    )

    def kept(found: list[tuple[int, str]]) -> list[Any]:
        # Unordered: ordered by the list's keys, SQLite would walk the account's
        # conversations in that order to find these few (ordered below instead).
        ids = [conversation_id for _key, conversation_id in found]
        chosen = held.where(conversations.c.conversation_id.in_(ids))
        return list(conn.execute(keyset.past(chosen, keys, request)))

    wanted = request.size + 1
    rows: list[Any] = []
    # A bare word is a prefix, whose matches FTS5 gathers before the first row: each read
    # costs that, so the first reads more than a page (a scope rejecting some is common).
    batch = FIRST * wanted
    while True:
        found = timeline.candidates(conn, account_sid, expression, (low, high), newest_first, batch)
        rows.extend(kept(found) if found else [])
        if len(found) < batch:
            break
        last_key = found[-1][0]
        low, high = (low, last_key) if newest_first else (last_key + 1, high)
        if len(rows) >= wanted:
            rows.extend(
                _rest_of_millisecond(
                    conn, account_sid, expression, last_key, low, high, newest_first, kept
                )
            )
            break
        batch = min(batch * 4, MOST)
    rows.sort(key=lambda row: keyset.key_of(row, keys), reverse=newest_first)
    return keyset.page_of(rows, request)


def _rest_of_millisecond(
    conn: Connection,
    account_sid: str,
    expression: str,
    last_key: int,
    low: int,
    high: int,
    newest_first: bool,
    kept: Callable[[list[tuple[int, str]]], list[Any]],
) -> list[Any]:
    """The rows of the last key's millisecond not read yet (they may precede some read by
    row id). Keys are numbered from the millisecond's first up: newest first, a first key
    leaves none below it (most conversations have a millisecond to themselves)."""
    first, last = timeline.millisecond_range(last_key)
    if newest_first and last_key == first:
        return []
    rest = (max(low, first), high) if newest_first else (low, min(high, last))
    found = timeline.candidates(conn, account_sid, expression, rest, newest_first)
    return kept(found) if found else []
