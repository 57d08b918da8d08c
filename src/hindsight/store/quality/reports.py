"""The quality report (submitted assessments counted and averaged by a grouping), its drill-down
to the assessed conversations, and random samples of what nobody has assessed yet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, select

from hindsight.domain.segments import CONVERSATION
from hindsight.store.insights_queries import ScopeTags
from hindsight.store.schema import (
    conversation_scopes,
    qm_assessments,
    qm_questionnaires,
    qm_reviews,
    segments,
)

DAY_MS = 86_400_000
GROUPINGS = ("agent", "queue", "questionnaire", "category", "day")
SUBMITTED = "submitted"


@dataclass(frozen=True)
class ReportFilters:
    """Which submitted assessments a report counts (all must hold)."""

    start_ms: int | None = None  # submitted at or after
    end_ms: int | None = None  # ... and before
    questionnaire_sid: str | None = None
    agent_id: str | None = None
    queue: str | None = None


def _in_scope(scope: ScopeTags, table: Any) -> ColumnElement[bool]:
    return exists().where(
        conversation_scopes.c.account_sid == table.c.account_sid,
        conversation_scopes.c.conversation_id == table.c.conversation_id,
        conversation_scopes.c.tag.in_(list(scope or ())),
    )


def conditions(account_sid: str, filters: ReportFilters, scope: ScopeTags) -> list[Any]:
    r = qm_reviews.c
    out: list[Any] = [r.account_sid == account_sid, r.status == SUBMITTED]
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


def _key(group_by: str) -> tuple[Any, Any]:
    """(the grouping's value, a label people read) for review-level groupings."""
    r = qm_reviews.c
    if group_by == "agent":
        return r.agent_id, func.max(r.agent_name)
    if group_by == "queue":
        return r.queue_name, func.max(r.queue_name)
    if group_by == "questionnaire":
        return r.questionnaire_sid, func.max(qm_questionnaires.c.name)
    day = r.submitted_ms - r.submitted_ms % DAY_MS
    return day, func.max(day)


def grouped(
    conn: Connection, account_sid: str, filters: ReportFilters, group_by: str, scope: ScopeTags
) -> list[Any]:
    """Rows of (group, label, assessments, average)."""
    where = conditions(account_sid, filters, scope)
    if group_by == "category":
        a = qm_assessments.c
        answered = a.score.is_not(None)
        got = func.sum(a.score).filter(answered)
        best = func.sum(a.max_score).filter(answered)
        query = (
            select(
                a.category_name.label("group"),
                a.category_name.label("label"),
                func.count(func.distinct(a.review_sid)).label("assessments"),
                (100.0 * got / func.nullif(best, 0)).label("average"),
            )
            .join(qm_reviews, qm_reviews.c.sid == a.review_sid)
            .where(*where)
            .group_by(a.category_name)
        )
        return list(conn.execute(query))
    value, label = _key(group_by)
    query = select(
        value.label("group"),
        label.label("label"),
        func.count().label("assessments"),
        func.avg(qm_reviews.c.score).label("average"),
    )
    if group_by == "questionnaire":
        query = query.select_from(
            qm_reviews.join(
                qm_questionnaires, qm_questionnaires.c.sid == qm_reviews.c.questionnaire_sid
            )
        )
    return list(conn.execute(query.where(*where).group_by(value)))


def total(conn: Connection, account_sid: str, filters: ReportFilters, scope: ScopeTags) -> Any:
    query = select(
        func.count().label("assessments"), func.avg(qm_reviews.c.score).label("average")
    ).where(*conditions(account_sid, filters, scope))
    return conn.execute(query).one()


def _group_condition(group_by: str, value: str | int | None) -> Any:
    if group_by == "category":
        return exists().where(
            qm_assessments.c.review_sid == qm_reviews.c.sid,
            qm_assessments.c.category_name == value,
        )
    column, _label = _key(group_by)
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
) -> list[Any]:
    """The submitted assessments of one group (or all), newest first."""
    where = conditions(account_sid, filters, scope)
    if group_by is not None:
        where.append(_group_condition(group_by, value))
    query = (
        select(qm_reviews, qm_questionnaires.c.name.label("questionnaire_name"))
        .join(qm_questionnaires, qm_questionnaires.c.sid == qm_reviews.c.questionnaire_sid)
        .where(*where)
        .order_by(qm_reviews.c.submitted_ms.desc(), qm_reviews.c.sid.desc())
        .limit(limit)
    )
    return list(conn.execute(query))


def unassessed_sample(
    conn: Connection,
    account_sid: str,
    start_ms: int,
    end_ms: int,
    per_agent: int,
    scope: ScopeTags,
) -> list[Any]:
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
            s.worker_sid,
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
        .order_by(ranked.c.agent_name, ranked.c.worker_sid, ranked.c.start_ms)
    )
    return list(conn.execute(query))
