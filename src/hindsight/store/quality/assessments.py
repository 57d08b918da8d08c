"""Assessments (a review: one author's questionnaire on one segment, and its answers), comments,
and the history of changes. Every query is for one account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, Table, and_, delete, exists, insert, select, update

from hindsight.store.insights_queries import ScopeTags
from hindsight.store.keyset import SortKey
from hindsight.store.quality import daily_totals
from hindsight.store.records import optional, reader
from hindsight.store.schema import (
    conversation_scopes,
    qm_assessments,
    qm_changes,
    qm_comments,
    qm_questionnaires,
    qm_reviews,
)


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """A review: one author's questionnaire on one segment (one row of `qm_reviews`);
    `score` is set once submitted."""

    sid: str
    account_sid: str
    segment_id: str
    conversation_id: str
    agent_id: str
    agent_name: str | None
    queue_name: str | None
    questionnaire_sid: str
    author_type: str
    author_sid: str
    author_name: str | None
    author_email: str | None
    status: str
    score: float | None
    submitted_ms: int | None
    acknowledged_ms: int | None
    version: int
    date_created: int
    date_updated: int


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """An answer to one question of a review (a row of `qm_assessments`), with its review's
    author and its questionnaire's name."""

    sid: str
    review_sid: str
    account_sid: str
    segment_id: str
    agent_id: str
    questionnaire_sid: str
    question_sid: str
    question_name: str
    category_sid: str
    category_name: str
    answer_id: str
    answer_text: str
    score: float | None
    max_score: float
    offset_seconds: float | None
    date_created: int
    date_updated: int
    author_name: str | None
    author_email: str | None
    questionnaire_name: str


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """One change to a review's answers (one row of `qm_changes`)."""

    id: int
    account_sid: str
    review_sid: str
    at_ms: int
    actor_sid: str | None
    actor_name: str | None
    change: str


@dataclass(frozen=True, slots=True)
class CommentRecord:
    """A comment on a segment (one row of `qm_comments`), at an offset or message."""

    sid: str
    account_sid: str
    segment_id: str
    conversation_id: str
    agent_id: str
    comment: str
    tag_id: str
    tag_name: str
    offset_seconds: float | None
    message_index: int | None
    author_type: str
    author_sid: str
    author_name: str | None
    author_email: str | None
    date_created: int
    date_updated: int


read_review = reader(ReviewRecord)
read_answer = reader(AnswerRecord)
read_change = reader(ChangeRecord)
read_comment = reader(CommentRecord)

ASSESSMENT_ORDER = (SortKey(qm_assessments.c.date_created), SortKey(qm_assessments.c.sid))
COMMENT_ORDER = (SortKey(qm_comments.c.date_created), SortKey(qm_comments.c.sid))


def _scoped(query: Select[Any], scope: ScopeTags, table: Table) -> Select[Any]:
    """Only rows whose conversation the viewer's scope admits (None: the whole account)."""
    if scope is None:
        return query
    return query.where(
        exists().where(
            conversation_scopes.c.account_sid == table.c.account_sid,
            conversation_scopes.c.conversation_id == table.c.conversation_id,
            conversation_scopes.c.tag.in_(list(scope)),
        )
    )


# --- reviews ------------------------------------------------------------------------------------


def get_review(conn: Connection, account_sid: str, sid: str) -> ReviewRecord | None:
    query = select(qm_reviews).where(
        qm_reviews.c.account_sid == account_sid, qm_reviews.c.sid == sid
    )
    return optional(read_review, conn.execute(query).first())


def find_review(
    conn: Connection, account_sid: str, segment_id: str, questionnaire_sid: str, author_sid: str
) -> ReviewRecord | None:
    r = qm_reviews.c
    query = select(qm_reviews).where(
        r.account_sid == account_sid,
        r.segment_id == segment_id,
        r.questionnaire_sid == questionnaire_sid,
        r.author_sid == author_sid,
    )
    return optional(read_review, conn.execute(query).first())


# Every write of a review or an answer keeps the daily totals of the quality report exact
# (store/quality/daily_totals.py), in the same transaction.


def insert_review(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(qm_reviews).values(**row))
    daily_totals.restore(conn, [row["sid"]])


def update_review(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    with daily_totals.refiled(conn, [sid]):
        conn.execute(update(qm_reviews).where(qm_reviews.c.sid == sid).values(**values))


def reviews_of_conversation(
    conn: Connection, account_sid: str, conversation_id: str
) -> list[ReviewRecord]:
    query = (
        select(qm_reviews)
        .where(
            qm_reviews.c.account_sid == account_sid,
            qm_reviews.c.conversation_id == conversation_id,
        )
        .order_by(qm_reviews.c.date_created, qm_reviews.c.sid)
    )
    return [read_review(row) for row in conn.execute(query)]


# --- answers ------------------------------------------------------------------------------------


def _answers() -> Select[Any]:
    """Answers with their author and questionnaire's name."""
    return (
        select(
            qm_assessments,
            qm_reviews.c.author_name,
            qm_reviews.c.author_email,
            qm_questionnaires.c.name.label("questionnaire_name"),
        )
        .join(qm_reviews, qm_reviews.c.sid == qm_assessments.c.review_sid)
        .join(qm_questionnaires, qm_questionnaires.c.sid == qm_assessments.c.questionnaire_sid)
    )


def assessments_query(
    account_sid: str, segment_id: str | None, scope: ScopeTags = None
) -> Select[Any]:
    """Submitted answers (drafts are their author's until submitted)."""
    query = _answers().where(
        qm_assessments.c.account_sid == account_sid, qm_reviews.c.status == "submitted"
    )
    if segment_id is not None:
        query = query.where(qm_assessments.c.segment_id == segment_id)
    return _scoped(query, scope, qm_reviews)


def get_assessment(conn: Connection, account_sid: str, sid: str) -> AnswerRecord | None:
    query = _answers().where(
        qm_assessments.c.account_sid == account_sid, qm_assessments.c.sid == sid
    )
    return optional(read_answer, conn.execute(query).first())


def answers_of(conn: Connection, review_sids: Sequence[str]) -> dict[str, list[AnswerRecord]]:
    out: dict[str, list[AnswerRecord]] = {sid: [] for sid in review_sids}
    if not review_sids:
        return out
    query = (
        _answers()
        .where(qm_assessments.c.review_sid.in_(list(review_sids)))
        .order_by(qm_assessments.c.date_created, qm_assessments.c.sid)
    )
    for row in conn.execute(query):
        out[row.review_sid].append(read_answer(row))
    return out


def answer_for(conn: Connection, review_sid: str, question_sid: str) -> AnswerRecord | None:
    query = _answers().where(
        and_(
            qm_assessments.c.review_sid == review_sid,
            qm_assessments.c.question_sid == question_sid,
        )
    )
    return optional(read_answer, conn.execute(query).first())


def insert_assessment(conn: Connection, row: dict[str, Any]) -> None:
    with daily_totals.refiled(conn, [row["review_sid"]]):
        conn.execute(insert(qm_assessments).values(**row))


def update_assessment(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    review = conn.execute(
        select(qm_assessments.c.review_sid).where(qm_assessments.c.sid == sid)
    ).scalar()
    with daily_totals.refiled(conn, [review] if review is not None else []):
        conn.execute(update(qm_assessments).where(qm_assessments.c.sid == sid).values(**values))


# --- history ------------------------------------------------------------------------------------


def add_changes(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(qm_changes), rows)


def changes_of(conn: Connection, review_sids: Sequence[str]) -> dict[str, list[ChangeRecord]]:
    out: dict[str, list[ChangeRecord]] = {sid: [] for sid in review_sids}
    if not review_sids:
        return out
    query = (
        select(qm_changes)
        .where(qm_changes.c.review_sid.in_(list(review_sids)))
        .order_by(qm_changes.c.id)
    )
    for row in conn.execute(query):
        out[row.review_sid].append(read_change(row))
    return out


# --- comments -----------------------------------------------------------------------------------


def comments_query(
    account_sid: str, segment_id: str | None, agent_id: str | None, scope: ScopeTags = None
) -> Select[Any]:
    query = select(qm_comments).where(qm_comments.c.account_sid == account_sid)
    if segment_id is not None:
        query = query.where(qm_comments.c.segment_id == segment_id)
    if agent_id is not None:
        query = query.where(qm_comments.c.agent_id == agent_id)
    return _scoped(query, scope, qm_comments)


def comments_of_conversation(
    conn: Connection, account_sid: str, conversation_id: str
) -> list[CommentRecord]:
    query = (
        select(qm_comments)
        .where(
            qm_comments.c.account_sid == account_sid,
            qm_comments.c.conversation_id == conversation_id,
        )
        .order_by(qm_comments.c.offset_seconds, qm_comments.c.date_created, qm_comments.c.sid)
    )
    return [read_comment(row) for row in conn.execute(query)]


def insert_comment(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(qm_comments).values(**row))


# --- retention ------------------------------------------------------------------------------------


def delete_for_conversations(
    conn: Connection, account_sid: str, conversation_ids: Sequence[str]
) -> None:
    """Assessments (answers, history) and comments of conversations being deleted: what was
    said about a conversation goes with it."""
    ids = list(conversation_ids)
    reviews = list(
        conn.execute(
            select(qm_reviews.c.sid).where(
                qm_reviews.c.account_sid == account_sid, qm_reviews.c.conversation_id.in_(ids)
            )
        ).scalars()
    )
    if reviews:
        daily_totals.withdraw(conn, reviews)
        for table in (qm_assessments, qm_changes):
            conn.execute(delete(table).where(table.c.review_sid.in_(reviews)))
        conn.execute(delete(qm_reviews).where(qm_reviews.c.sid.in_(reviews)))
    conn.execute(
        delete(qm_comments).where(
            qm_comments.c.account_sid == account_sid, qm_comments.c.conversation_id.in_(ids)
        )
    )


def latest_scores(
    conn: Connection, account_sid: str, segment_ids: Sequence[str]
) -> dict[str, tuple[str, float | None]]:
    """Each segment's most recently submitted assessment: (questionnaire name, score)."""
    if not segment_ids:
        return {}
    query = (
        select(qm_reviews.c.segment_id, qm_reviews.c.score, qm_questionnaires.c.name)
        .join(qm_questionnaires, qm_questionnaires.c.sid == qm_reviews.c.questionnaire_sid)
        .where(
            qm_reviews.c.account_sid == account_sid,
            qm_reviews.c.segment_id.in_(list(segment_ids)),
            qm_reviews.c.status == "submitted",
        )
        .order_by(qm_reviews.c.submitted_ms, qm_reviews.c.sid)
    )
    return {row.segment_id: (row.name, row.score) for row in conn.execute(query)}
