"""The quality report (submitted assessments counted and averaged by a grouping), its drill-down
to the assessed conversations, and random samples of what nobody has assessed yet."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, and_, exists, func, literal, select

from hindsight.domain.segments import CONVERSATION
from hindsight.store.insights_queries import ScopeTags
from hindsight.store.records import reader
from hindsight.store.schema import (
    conversation_scopes,
    qm_assessments,
    qm_daily_category_totals,
    qm_daily_totals,
    qm_questionnaires,
    qm_reviews,
    qm_scope_sets,
    segments,
)

DAY_MS = 86_400_000
GROUPINGS = ("agent", "queue", "questionnaire", "category", "day")
_CHUNK = 1000
SUBMITTED = "submitted"


@dataclass(frozen=True)
class ReportFilters:
    """Which submitted assessments a report counts (all must hold)."""

    start_ms: int | None = None  # submitted at or after
    end_ms: int | None = None  # ... and before
    questionnaire_sid: str | None = None
    agent_id: str | None = None
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class Assessed:
    """A submitted assessment as the report's drill-down lists it."""

    review_sid: str
    conversation_id: str
    segment_id: str
    agent_id: str
    agent_name: str | None
    queue_name: str | None
    questionnaire_name: str
    author_name: str | None
    score: float | None
    submitted_ms: int  # set when a review is submitted, and only submitted ones are listed


@dataclass(frozen=True, slots=True)
class Sampled:
    """An agent's conversation segment nobody has submitted an assessment of."""

    conversation_id: str
    segment_id: str
    agent_id: str  # the worker's SID
    agent_name: str | None
    queue_name: str | None
    start_ms: int


_read_assessed = reader(Assessed)
_read_sampled = reader(Sampled)


def _in_scope(scope: ScopeTags, table: Table) -> ColumnElement[bool]:
    return exists().where(
        conversation_scopes.c.account_sid == table.c.account_sid,
        conversation_scopes.c.conversation_id == table.c.conversation_id,
        conversation_scopes.c.tag.in_(list(scope or ())),
    )


def conditions(
    account_sid: str, filters: ReportFilters, scope: ScopeTags
) -> list[ColumnElement[bool]]:
    r = qm_reviews.c
    out: list[ColumnElement[bool]] = [r.account_sid == account_sid, r.status == SUBMITTED]
    if filters.start_ms is not None:
        out.append(r.submitted_ms >= filters.start_ms)
    if filters.end_ms is not None:
        out.append(r.submitted_ms < filters.end_ms)
    for column, value in (
        (r.questionnaire_sid, filters.questionnaire_sid),
        (r.agent_id, filters.agent_id),
        (r.queue_name, filters.queue),
    ):
        if value is not None:
            out.append(column == value)
    if scope is not None:
        out.append(_in_scope(scope, qm_reviews))
    return out


@dataclass(frozen=True)
class Sums:
    """One group's sums: its assessments, and the average as numerator / denominator."""

    group: Any
    label: Any
    assessments: int
    numerator: float
    denominator: float

    def __add__(self, other: Sums) -> Sums:
        label = max((x for x in (self.label, other.label) if x is not None), default=None)
        return Sums(
            self.group,
            label,
            self.assessments + other.assessments,
            self.numerator + other.numerator,
            self.denominator + other.denominator,
        )


def _whole_days(filters: ReportFilters) -> tuple[int | None, int | None]:
    """The period's whole UTC days, [first, last): what the daily totals answer for."""
    first = filters.start_ms
    if first is not None and first % DAY_MS:
        first += DAY_MS - first % DAY_MS
    last = filters.end_ms
    if last is not None:
        last -= last % DAY_MS
    return first, last


def _edges(filters: ReportFilters) -> list[ReportFilters]:
    """The parts of the period outside its whole days, read from the assessments themselves
    (a report from 14:05 sums whole days and adds that afternoon's assessments)."""
    first, last = _whole_days(filters)
    if first is not None and last is not None and first >= last:
        return [filters]  # less than one whole day: all of it from the assessments
    parts = []
    if filters.start_ms is not None and first is not None and first > filters.start_ms:
        parts.append(replace(filters, end_ms=first))
    if filters.end_ms is not None and last is not None and last < filters.end_ms:
        parts.append(replace(filters, start_ms=last))
    return parts


def _direct_key(group_by: str) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """(the grouping's value, a label people read) over the assessments themselves."""
    r = qm_reviews.c
    if group_by == "agent":
        return r.agent_id, func.max(r.agent_name)
    if group_by == "queue":
        return r.queue_name, func.max(r.queue_name)
    if group_by == "questionnaire":
        return r.questionnaire_sid, literal(None)
    if group_by == "total":
        return literal(None), literal(None)
    day = r.submitted_ms - r.submitted_ms % DAY_MS
    return day, func.max(day)


def _direct(
    conn: Connection, account_sid: str, filters: ReportFilters, group_by: str, scope: ScopeTags
) -> list[Sums]:
    where = conditions(account_sid, filters, scope)
    if group_by == "category":
        return _direct_categories(conn, where)
    value, label = _direct_key(group_by)
    r = qm_reviews.c
    query = select(
        value,
        label,
        func.count(),
        func.coalesce(func.sum(r.score), 0.0),
        func.count(r.score),
    ).where(*where)
    if group_by != "total":
        query = query.group_by(value)
    return [Sums(*row) for row in conn.execute(query) if row[2]]


def _direct_categories(conn: Connection, where: list[ColumnElement[bool]]) -> list[Sums]:
    """The categories of some assessments, read in two steps: the assessments, then their
    answers by review (an index probe each). As one join, PostgreSQL may plan a scan of every
    answer of the account for the few hundred assessments of a period's partial day."""
    sids = list(conn.execute(select(qm_reviews.c.sid).where(*where)).scalars())
    a = qm_assessments.c
    answered = a.score.is_not(None)
    merged: dict[str, Sums] = {}
    for start in range(0, len(sids), _CHUNK):
        query = (
            select(
                a.category_name,
                a.category_name,
                func.count(func.distinct(a.review_sid)),
                func.coalesce(100.0 * func.sum(a.score).filter(answered), 0.0),
                func.coalesce(func.sum(a.max_score).filter(answered), 0.0),
            )
            .where(a.review_sid.in_(sids[start : start + _CHUNK]))
            .group_by(a.category_name)
        )
        for row in conn.execute(query):
            part = Sums(*row)
            # The chunks hold different assessments, so their counts add up.
            merged[part.group] = merged[part.group] + part if part.group in merged else part
    return [m for m in merged.values() if m.assessments]


def _totals_key(table: Table, group_by: str) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    t = table.c
    if group_by == "agent":
        return t.agent_id, func.max(func.nullif(t.agent_name, ""))
    if group_by == "queue":
        return t.queue_name, literal(None)
    if group_by == "questionnaire":
        return t.questionnaire_sid, literal(None)
    if group_by == "category":
        return t.category_name, literal(None)
    if group_by == "total":
        return literal(None), literal(None)
    return t.day_ms, literal(None)


def _from_totals(
    conn: Connection, account_sid: str, filters: ReportFilters, group_by: str, scope: ScopeTags
) -> list[Sums]:
    table = qm_daily_category_totals if group_by == "category" else qm_daily_totals
    t = table.c
    first, last = _whole_days(filters)
    if first is not None and last is not None and first >= last:
        return []
    where: list[Any] = [t.account_sid == account_sid]
    if first is not None:
        where.append(t.day_ms >= first)
    if last is not None:
        where.append(t.day_ms < last)
    for column, value in (
        (t.questionnaire_sid, filters.questionnaire_sid),
        (t.agent_id, filters.agent_id),
        # A missing queue is '' in the totals (a key is never null).
        (t.queue_name, None if filters.queue is None else filters.queue),
    ):
        if value is not None:
            where.append(column == value)
    if scope is not None:
        where.append(
            t.scope_key.in_(
                select(qm_scope_sets.c.scope_key).where(
                    qm_scope_sets.c.account_sid == account_sid,
                    qm_scope_sets.c.tag.in_(list(scope)),
                )
            )
        )
    key, label = _totals_key(table, group_by)
    if group_by == "category":
        measures = [func.sum(t.assessments), 100.0 * func.sum(t.points), func.sum(t.possible)]
    else:
        measures = [func.sum(t.assessments), func.sum(t.score_sum), func.sum(t.scored)]
    query = select(key, label, *measures).where(*where)
    if group_by != "total":
        query = query.group_by(key)
    out = []
    for row in conn.execute(query):
        if not row[2]:
            continue
        group = row[0]
        if group_by == "queue" and group == "":
            group = None
        shown = group if group_by in ("queue", "category", "day") else row[1]
        out.append(Sums(group, shown, int(row[2]), float(row[3] or 0), float(row[4] or 0)))
    return out


def _summed(
    conn: Connection, account_sid: str, filters: ReportFilters, group_by: str, scope: ScopeTags
) -> list[Sums]:
    """The period's sums by group: whole days from the daily totals, the rest directly."""
    merged: dict[Any, Sums] = {}
    parts = _from_totals(conn, account_sid, filters, group_by, scope)
    for edge in _edges(filters):
        parts.extend(_direct(conn, account_sid, edge, group_by, scope))
    for part in parts:
        merged[part.group] = merged[part.group] + part if part.group in merged else part
    if group_by == "questionnaire" and merged:
        names = dict(
            conn.execute(
                select(qm_questionnaires.c.sid, qm_questionnaires.c.name).where(
                    qm_questionnaires.c.sid.in_(list(merged))
                )
            ).all()
        )
        merged = {k: replace(v, label=names.get(k)) for k, v in merged.items()}
    return list(merged.values())


def grouped(
    conn: Connection, account_sid: str, filters: ReportFilters, group_by: str, scope: ScopeTags
) -> list[Sums]:
    """The report's rows by `group_by` (one of GROUPINGS)."""
    return _summed(conn, account_sid, filters, group_by, scope)


def total(conn: Connection, account_sid: str, filters: ReportFilters, scope: ScopeTags) -> Sums:
    found = _summed(conn, account_sid, filters, "total", scope)
    return found[0] if found else Sums(None, None, 0, 0.0, 0.0)


def _group_condition(group_by: str, value: str | int | None) -> ColumnElement[bool]:
    if group_by == "category":
        return exists().where(
            qm_assessments.c.review_sid == qm_reviews.c.sid,
            qm_assessments.c.category_name == value,
        )
    column, _label = _direct_key(group_by)
    if group_by == "day":
        return and_(
            qm_reviews.c.submitted_ms >= value, qm_reviews.c.submitted_ms < int(value or 0) + DAY_MS
        )
    return column.is_(None) if value is None else column == value


def assessed(
    conn: Connection,
    account_sid: str,
    filters: ReportFilters,
    scope: ScopeTags,
    group_by: str | None,
    value: str | int | None,
    limit: int,
) -> list[Assessed]:
    """The submitted assessments of one group (or all), newest first."""
    where = conditions(account_sid, filters, scope)
    if group_by is not None:
        where.append(_group_condition(group_by, value))
    r = qm_reviews.c
    query = (
        select(
            r.sid.label("review_sid"),
            r.conversation_id,
            r.segment_id,
            r.agent_id,
            r.agent_name,
            r.queue_name,
            qm_questionnaires.c.name.label("questionnaire_name"),
            r.author_name,
            r.score,
            r.submitted_ms,
        )
        .join(qm_questionnaires, qm_questionnaires.c.sid == r.questionnaire_sid)
        .where(*where)
        .order_by(r.submitted_ms.desc(), r.sid.desc())
        .limit(limit)
    )
    return [_read_assessed(row) for row in conn.execute(query)]


def unassessed_sample(
    conn: Connection,
    account_sid: str,
    start_ms: int,
    end_ms: int,
    per_agent: int,
    scope: ScopeTags,
) -> list[Sampled]:
    """Up to `per_agent` random conversation segments of each agent in the period that nobody
    has submitted an assessment of."""
    s = segments.c
    where = [
        s.account_sid == account_sid,
        s.conversation_id.is_not(None),
        s.worker_sid.is_not(None),
        s.kind == CONVERSATION,
        s.start_ms >= start_ms,
        s.start_ms < end_ms,
        ~exists().where(
            qm_reviews.c.account_sid == s.account_sid,
            qm_reviews.c.segment_id == s.segment_id,
            qm_reviews.c.status == SUBMITTED,
        ),
    ]
    if scope is not None:
        where.append(
            exists().where(
                conversation_scopes.c.account_sid == s.account_sid,
                conversation_scopes.c.conversation_id == s.conversation_id,
                conversation_scopes.c.tag.in_(list(scope)),
            )
        )
    ranked = (
        select(
            s.segment_id,
            s.conversation_id,
            s.worker_sid.label("agent_id"),
            s.agent_name,
            s.queue_name,
            s.start_ms,
            func.row_number().over(partition_by=s.worker_sid, order_by=func.random()).label("pick"),
        )
        .where(*where)
        .subquery()
    )
    query = (
        select(ranked)
        .where(ranked.c.pick <= per_agent)
        .order_by(ranked.c.agent_name, ranked.c.agent_id, ranked.c.start_ms)
    )
    return [_read_sampled(row) for row in conn.execute(query)]
