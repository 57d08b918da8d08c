"""Daily totals of submitted assessments (qm_daily_totals, qm_daily_category_totals): what the
quality report reads instead of every assessment of its period.

Kept exact in the same transaction as every change: whatever changes a review, its answers or
the scope tags of its conversation first withdraws the review's contribution (`withdraw`), then
adds it back as it now is (`restore`); `refiled` does both around a change. `rebuild` recomputes
them from the assessments (the migration that created them, and `hindsight quality
rebuild-totals`).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Insert, Table, and_, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hindsight.store.any_of import any_of
from hindsight.store.schema import (
    conversation_scopes,
    qm_assessments,
    qm_daily_category_totals,
    qm_daily_totals,
    qm_reviews,
    qm_scope_sets,
)

DAY_MS = 86_400_000
SUBMITTED = "submitted"
NO_SCOPE = ""
_CHUNK = 500

# (account, day, agent id, agent name, queue, questionnaire, scope key)
Key = tuple[str, int, str, str, str, str, str]
_KEY_COLUMNS = (
    "account_sid",
    "day_ms",
    "agent_id",
    "agent_name",
    "queue_name",
    "questionnaire_sid",
    "scope_key",
)


def scope_key(tags: Iterable[str]) -> str:
    """The key of a set of scope tags: '' for none, else a digest of the sorted tags."""
    ordered = sorted(set(tags))
    if not ordered:
        return NO_SCOPE
    return hashlib.sha1("\n".join(ordered).encode(), usedforsecurity=False).hexdigest()


@dataclass
class Contribution:
    """What some reviews add to the daily totals, summed by key."""

    reviews: dict[Key, list[float]] = field(default_factory=dict)  # [count, scored, score sum]
    # (key + category) -> [assessments answering in it, points, possible]
    categories: dict[tuple[Key, str], list[float]] = field(default_factory=dict)
    # (account, scope key) -> its tags
    scope_sets: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.reviews)


def _chunks(items: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield list(items[start : start + _CHUNK])


def _tags(conn: Connection, reviews: list[Any]) -> dict[tuple[str, str], set[str]]:
    by_account: dict[str, set[str]] = {}
    for r in reviews:
        by_account.setdefault(r.account_sid, set()).add(r.conversation_id)
    found: dict[tuple[str, str], set[str]] = {}
    c = conversation_scopes.c
    for account, conversations in by_account.items():
        for chunk in _chunks(sorted(conversations)):
            query = select(c.conversation_id, c.tag).where(
                c.account_sid == account, c.conversation_id.in_(chunk)
            )
            for row in conn.execute(query):
                found.setdefault((account, row.conversation_id), set()).add(row.tag)
    return found


def contribution(conn: Connection, review_sids: Iterable[str]) -> Contribution:
    """What the submitted ones among `review_sids` add to the totals, as they are now."""
    out = Contribution()
    sids = sorted(set(review_sids))
    r = qm_reviews.c
    for chunk in _chunks(sids):
        reviews = list(
            conn.execute(
                select(
                    r.sid,
                    r.account_sid,
                    r.conversation_id,
                    r.agent_id,
                    r.agent_name,
                    r.queue_name,
                    r.questionnaire_sid,
                    r.score,
                    r.submitted_ms,
                ).where(r.sid.in_(chunk), r.status == SUBMITTED, r.submitted_ms.is_not(None))
            )
        )
        if not reviews:
            continue
        tags = _tags(conn, reviews)
        keys: dict[str, Key] = {}
        for review in reviews:
            held = tags.get((review.account_sid, review.conversation_id), set())
            scope = scope_key(held)
            if scope:
                out.scope_sets[(review.account_sid, scope)] = frozenset(held)
            key: Key = (
                review.account_sid,
                review.submitted_ms - review.submitted_ms % DAY_MS,
                review.agent_id,
                review.agent_name or "",
                review.queue_name or "",
                review.questionnaire_sid,
                scope,
            )
            keys[review.sid] = key
            sums = out.reviews.setdefault(key, [0, 0, 0.0])
            sums[0] += 1
            if review.score is not None:
                sums[1] += 1
                sums[2] += review.score
        a = qm_assessments.c
        answers = conn.execute(
            select(a.review_sid, a.category_name, a.score, a.max_score).where(
                a.review_sid.in_(list(keys))
            )
        )
        seen: set[tuple[str, str]] = set()
        for answer in answers:
            slot = (keys[answer.review_sid], answer.category_name)
            sums = out.categories.setdefault(slot, [0, 0.0, 0.0])
            if (answer.review_sid, answer.category_name) not in seen:
                seen.add((answer.review_sid, answer.category_name))
                sums[0] += 1
            if answer.score is not None:
                sums[1] += answer.score
                sums[2] += answer.max_score
    return out


@functools.cache
def _adding(dialect: str, table: Table, keys: tuple[str, ...], sums: tuple[str, ...]) -> Insert:
    """INSERT ... ON CONFLICT adding to the sums (built once per shape)."""
    build = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = build(table)
    return statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + statement.excluded[name] for name in sums},
    )


@functools.cache
def _noting(dialect: str) -> Insert:
    build = pg_insert if dialect == "postgresql" else sqlite_insert
    return build(qm_scope_sets).on_conflict_do_nothing()


def _apply(conn: Connection, change: Contribution, sign: int) -> None:
    if not change:
        return
    dialect = conn.dialect.name
    review_rows = [
        {
            **dict(zip(_KEY_COLUMNS, key, strict=True)),
            "assessments": sign * int(sums[0]),
            "scored": sign * int(sums[1]),
            "score_sum": sign * sums[2],
        }
        for key, sums in sorted(change.reviews.items())
    ]
    sums = ("assessments", "scored", "score_sum")
    conn.execute(_adding(dialect, qm_daily_totals, _KEY_COLUMNS, sums), review_rows)
    category_rows = [
        {
            **dict(zip(_KEY_COLUMNS, key, strict=True)),
            "category_name": category,
            "assessments": sign * int(values[0]),
            "points": sign * values[1],
            "possible": sign * values[2],
        }
        for (key, category), values in sorted(change.categories.items())
    ]
    if category_rows:
        keys = (*_KEY_COLUMNS, "category_name")
        sums = ("assessments", "points", "possible")
        conn.execute(_adding(dialect, qm_daily_category_totals, keys, sums), category_rows)
    if sign > 0 and change.scope_sets:
        conn.execute(
            _noting(dialect),
            [
                {"account_sid": account, "scope_key": key, "tag": tag}
                for (account, key), tags in sorted(change.scope_sets.items())
                for tag in sorted(tags)
            ],
        )
    if sign < 0:
        _drop_empty(conn, change)


def _drop_empty(conn: Connection, change: Contribution) -> None:
    """Rows that no assessment contributes to any more (their sums are zero, give or take the
    rounding of floating-point subtraction)."""
    for table, keys in (
        (qm_daily_totals, [dict(zip(_KEY_COLUMNS, k, strict=True)) for k in change.reviews]),
        (
            qm_daily_category_totals,
            [
                {**dict(zip(_KEY_COLUMNS, k, strict=True)), "category_name": c}
                for k, c in change.categories
            ],
        ),
    ):
        for key in sorted(keys, key=lambda k: tuple(k.values())):
            conn.execute(
                delete(table).where(
                    and_(*(table.c[name] == value for name, value in key.items())),
                    table.c.assessments <= 0,
                )
            )


def withdraw(conn: Connection, review_sids: Iterable[str]) -> None:
    """Take the reviews' current contribution out of the totals (before they change)."""
    _apply(conn, contribution(conn, review_sids), -1)


def restore(conn: Connection, review_sids: Iterable[str]) -> None:
    """Add the reviews' current contribution to the totals (after they changed)."""
    _apply(conn, contribution(conn, review_sids), +1)


@contextmanager
def refiled(conn: Connection, review_sids: Sequence[str]) -> Iterator[None]:
    """Around a change of the reviews: their old contribution out, their new one in."""
    withdraw(conn, review_sids)
    yield
    restore(conn, review_sids)


_SUBMITTED_OF_CONVERSATIONS = select(qm_reviews.c.sid).where(
    qm_reviews.c.account_sid == bindparam("account"),
    any_of(qm_reviews.c.conversation_id, "conversations"),
    qm_reviews.c.status == SUBMITTED,
)


def submitted_of_conversations(
    conn: Connection, account_sid: str, conversation_ids: Sequence[str]
) -> list[str]:
    """The submitted reviews of some conversations (whose scope tags are about to change)."""
    found: list[str] = []
    for chunk in _chunks(sorted(set(conversation_ids))):
        found.extend(
            conn.execute(
                _SUBMITTED_OF_CONVERSATIONS, {"account": account_sid, "conversations": chunk}
            ).scalars()
        )
    return found


def rebuild(conn: Connection, account_sid: str | None = None) -> int:
    """Recompute the totals (of one account, or all) from the submitted assessments; returns
    how many assessments they count."""
    for table in (qm_daily_totals, qm_daily_category_totals, qm_scope_sets):
        query = delete(table)
        if account_sid is not None:
            query = query.where(table.c.account_sid == account_sid)
        conn.execute(query)
    query = select(qm_reviews.c.sid).where(qm_reviews.c.status == SUBMITTED)
    if account_sid is not None:
        query = query.where(qm_reviews.c.account_sid == account_sid)
    sids = list(conn.execute(query.order_by(qm_reviews.c.sid)).scalars())
    for start in range(0, len(sids), 5000):
        _apply(conn, contribution(conn, sids[start : start + 5000]), +1)
    return len(sids)
