"""The pick-list table: counted (facet, value, tag) entries, and the queries that read them.

Reading a list is a range of the primary key (account, facet, …): a few hundred rows whatever
the number of conversations, so the form fills at once on a million of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Select, and_, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hindsight.domain.search.pick_lists import Entry, changes, contribution, fold
from hindsight.store.schema import search_pick_values

t = search_pick_values.c
MAX_LISTED = 500


def apply(conn: Connection, account_sid: str, delta: Mapping[Entry, int]) -> None:
    """Add each count change; entries no conversation shows any more are removed."""
    changed = {entry: n for entry, n in delta.items() if n}
    if not changed:
        return
    rows = [
        {
            "account_sid": account_sid,
            "facet": facet,
            "tag": tag,
            "value": value,
            "folded": fold(value),
            "uses": n,
        }
        for (facet, value, tag), n in sorted(changed.items())
    ]
    build = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = build(search_pick_values).inline()
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["account_sid", "facet", "tag", "value"],
            set_={"uses": search_pick_values.c.uses + statement.excluded.uses},
        ),
        rows,
    )
    if any(n < 0 for n in changed.values()):
        conn.execute(delete(search_pick_values).where(t.account_sid == account_sid, t.uses <= 0))


def forget(
    conn: Connection,
    account_sid: str,
    summaries: Mapping[str, Any],
    members: Mapping[str, Sequence[Any]],
) -> None:
    """Conversations deleted outside the projector (retention): their entries come off."""
    delta: Counter[Entry] = Counter()
    for conversation, rows in members.items():
        summary = summaries.get(conversation)
        before = contribution(
            summary._mapping if summary is not None else None, [r._mapping for r in rows]
        )
        changes(before, set(), into=delta)
    apply(conn, account_sid, delta)


def values(conn: Connection, account_sid: str, facet: str, tags: Sequence[str] | None) -> list[str]:
    """The facet's values for a viewer filed under `tags` (None: the whole account), sorted
    case-insensitively, at most MAX_LISTED."""
    query = select(t.value, t.folded).where(t.account_sid == account_sid, t.facet == facet)
    if tags is not None:
        query = query.where(t.tag.in_(list(tags)))
    query = query.distinct().order_by(t.folded, t.value).limit(MAX_LISTED)
    return [row.value for row in conn.execute(query)]


def spellings(account_sid: str, facet: str, typed: str) -> Select[Any]:
    """The stored values `typed` names whatever its case (a subquery for a filter)."""
    return select(t.value).where(
        and_(t.account_sid == account_sid, t.facet == facet, t.folded == fold(typed))
    )


def clear(conn: Connection) -> None:
    conn.execute(delete(search_pick_values))
