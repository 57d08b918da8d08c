"""SQLite's full-text index in the list's order: one row per conversation whose rowid is its
list key, `start_ms * PER_MS` plus a sequence within the millisecond (migration 0026, kept by
triggers on the conversation, its document, its transcript links and the transcripts).

Reading `MATCH … ORDER BY rowid DESC` yields a text's matches newest first, so a list sorted
by start stops at a page instead of reading and sorting every match, and a period is a
range of rowids. The document and the transcripts are separate columns: a person who may
not open transcripts matches in `{document}` only.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import BigInteger, Connection, String, TextClause, column, text

from hindsight.domain.search.text_query import TextQuery

# Keys per millisecond of start: a key's millisecond is `key >> 20` (floor, as the list's
# order needs), and start_ms * PER_MS stays within 63 bits until the year 2248.
PER_MS = 1 << 20
TABLE = "search_conversation_text"
FULL_TEXT = f"{TABLE}_fts"
_LOWEST, _HIGHEST = -(2**63), 2**63 - 1


def fts_query(query: TextQuery, transcripts: bool) -> str:
    """The FTS5 expression for `query`: every column, or the document's only."""
    rendered = query.fts5()
    return rendered if transcripts else f"{{document}} : ({rendered})"


def key_range(start_ms: int | None, end_ms: int | None) -> tuple[int, int]:
    """The keys [low, high) of conversations starting in [start_ms, end_ms)."""
    low = _LOWEST if start_ms is None else start_ms * PER_MS
    high = _HIGHEST if end_ms is None else end_ms * PER_MS
    return low, high


def millisecond_range(key: int) -> tuple[int, int]:
    """The keys [low, high) of the millisecond `key` belongs to."""
    first = (key >> 20) * PER_MS
    return first, first + PER_MS


# The CROSS JOIN keeps the full-text table the outer loop (its order is the list's); the
# account's rows only: another account's keys interleave with this one's.
_STREAM = (
    f"SELECT {FULL_TEXT}.rowid AS list_key, s.conversation_id FROM {FULL_TEXT}"
    f" CROSS JOIN {TABLE} s ON s.list_key = {FULL_TEXT}.rowid"
    f" WHERE {FULL_TEXT} MATCH :timeline_query AND s.account_sid = :timeline_account"
    f" AND {FULL_TEXT}.rowid >= :timeline_low AND {FULL_TEXT}.rowid < :timeline_high"
)


@functools.cache
def _stream(newest_first: bool) -> TextClause:
    order = "DESC" if newest_first else "ASC"
    return text(f"{_STREAM} ORDER BY {FULL_TEXT}.rowid {order} LIMIT :timeline_limit")


def matches(
    account_sid: str, query: TextQuery, transcripts: bool, keys: tuple[int, int], limit: int = -1
) -> Any:
    """The account's conversations matching `query` with a key in `keys`, newest first, as a
    selectable of (list_key, conversation_id): one row per conversation."""
    low, high = keys
    return (
        _stream(True)
        .bindparams(
            timeline_query=fts_query(query, transcripts),
            timeline_account=account_sid,
            timeline_low=low,
            timeline_high=high,
            timeline_limit=limit,
        )
        .columns(column("list_key", BigInteger), column("conversation_id", String))
    )


def candidates(
    conn: Connection,
    account_sid: str,
    expression: str,
    keys: tuple[int, int],
    newest_first: bool,
    limit: int = -1,
) -> list[tuple[int, str]]:
    """(list key, conversation id) of the first `limit` matches of an FTS5 `expression` with a
    key in `keys`, in list order (all of them for -1)."""
    low, high = keys
    rows = conn.execute(
        _stream(newest_first),
        {
            "timeline_query": expression,
            "timeline_account": account_sid,
            "timeline_low": low,
            "timeline_high": high,
            "timeline_limit": limit,
        },
    )
    return [(row.list_key, row.conversation_id) for row in rows]


MIGRATION_ONLY = frozenset(
    {
        TABLE,
        f"uq_{TABLE}_account_sid_conversation_id",
        *(
            f"{FULL_TEXT}{shadow}"
            for shadow in ("", "_data", "_idx", "_docsize", "_config", "_content")
        ),
    }
)
