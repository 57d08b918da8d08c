"""Categories, questions, questionnaires and an account's own answer sets. Every query is for
one account."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    and_,
    delete,
    func,
    insert,
    select,
    update,
)

from hindsight.store.keyset import SortKey
from hindsight.store.records import AnyRow, optional, reader
from hindsight.store.schema import (
    qm_answer_sets,
    qm_categories,
    qm_questionnaire_questions,
    qm_questionnaires,
    qm_questions,
    qm_reviews,
)


@dataclass(frozen=True, slots=True)
class CategoryRecord:
    """A category questions are filed under (one row of `qm_categories`)."""

    sid: str
    account_sid: str
    name: str
    date_created: int
    date_updated: int


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    """A question (one row of `qm_questions`); its answers are those of its answer set."""

    sid: str
    account_sid: str
    category_sid: str
    question: str
    description: str
    answer_set_id: str
    allow_na: bool
    date_created: int
    date_updated: int


@dataclass(frozen=True, slots=True)
class QuestionnaireRecord:
    """A questionnaire (one row of `qm_questionnaires`); its questions are in
    `qm_questionnaire_questions`."""

    sid: str
    account_sid: str
    name: str
    description: str
    active: bool
    date_created: int
    date_updated: int


@dataclass(frozen=True, slots=True)
class AnswerSetRecord:
    """An account's own answer set (one row of `qm_answer_sets`); `answers` is its JSON list."""

    id: str
    account_sid: str
    name: str
    sort: int
    answers: str
    created_by: str | None
    date_created: int
    date_updated: int


read_category = reader(CategoryRecord)
read_question = reader(QuestionRecord)
read_questionnaire = reader(QuestionnaireRecord)
read_answer_set = reader(AnswerSetRecord)
R = TypeVar("R")

CATEGORY_ORDER = (SortKey(qm_categories.c.date_created), SortKey(qm_categories.c.sid))
QUESTION_ORDER = (SortKey(qm_questions.c.date_created), SortKey(qm_questions.c.sid))
QUESTIONNAIRE_ORDER = (
    SortKey(qm_questionnaires.c.date_created),
    SortKey(qm_questionnaires.c.sid),
)


def _the(table: Table, account_sid: str, sid: str) -> ColumnElement[bool]:
    """The account's row of `table` with this SID (another account's is never it)."""
    return and_(table.c.account_sid == account_sid, table.c.sid == sid)


def _get(
    conn: Connection, table: Table, account_sid: str, sid: str, read: Callable[[AnyRow], R]
) -> R | None:
    return optional(read, conn.execute(select(table).where(_the(table, account_sid, sid))).first())


def _update(
    conn: Connection, table: Table, account_sid: str, sid: str, values: dict[str, Any]
) -> bool:
    statement = update(table).where(_the(table, account_sid, sid)).values(**values)
    return conn.execute(statement).rowcount > 0


def _delete(conn: Connection, table: Table, account_sid: str, sid: str) -> bool:
    return conn.execute(delete(table).where(_the(table, account_sid, sid))).rowcount > 0


# --- categories ---------------------------------------------------------------------------------


def categories_query(account_sid: str) -> Select[Any]:
    return select(qm_categories).where(qm_categories.c.account_sid == account_sid)


def get_category(conn: Connection, account_sid: str, sid: str) -> CategoryRecord | None:
    return _get(conn, qm_categories, account_sid, sid, read_category)


def categories_by_sid(conn: Connection, sids: Sequence[str]) -> dict[str, CategoryRecord]:
    if not sids:
        return {}
    query = select(qm_categories).where(qm_categories.c.sid.in_(list(set(sids))))
    return {row.sid: read_category(row) for row in conn.execute(query)}


def insert_category(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(qm_categories).values(**row))


def update_category(conn: Connection, account_sid: str, sid: str, values: dict[str, Any]) -> bool:
    return _update(conn, qm_categories, account_sid, sid, values)


def delete_category(conn: Connection, account_sid: str, sid: str) -> bool:
    return _delete(conn, qm_categories, account_sid, sid)


def questions_in_category(conn: Connection, sid: str) -> int:
    query = select(func.count()).where(qm_questions.c.category_sid == sid)
    return int(conn.execute(query).scalar_one())


# --- questions ----------------------------------------------------------------------------------


def questions_query(account_sid: str, category_sids: Sequence[str] = ()) -> Select[Any]:
    query = select(qm_questions).where(qm_questions.c.account_sid == account_sid)
    if category_sids:
        query = query.where(qm_questions.c.category_sid.in_(list(category_sids)))
    return query


def get_question(conn: Connection, account_sid: str, sid: str) -> QuestionRecord | None:
    return _get(conn, qm_questions, account_sid, sid, read_question)


def questions_by_sid(
    conn: Connection, account_sid: str, sids: Sequence[str]
) -> dict[str, QuestionRecord]:
    if not sids:
        return {}
    query = select(qm_questions).where(
        qm_questions.c.account_sid == account_sid, qm_questions.c.sid.in_(list(set(sids)))
    )
    return {row.sid: read_question(row) for row in conn.execute(query)}


def insert_question(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(qm_questions).values(**row))


def update_question(conn: Connection, account_sid: str, sid: str, values: dict[str, Any]) -> bool:
    return _update(conn, qm_questions, account_sid, sid, values)


def delete_question(conn: Connection, account_sid: str, sid: str) -> bool:
    return _delete(conn, qm_questions, account_sid, sid)


def usage(conn: Connection, question_sids: Sequence[str]) -> dict[str, int]:
    """How many questionnaires hold each question."""
    if not question_sids:
        return {}
    q = qm_questionnaire_questions.c
    query = (
        select(q.question_sid, func.count())
        .where(q.question_sid.in_(list(set(question_sids))))
        .group_by(q.question_sid)
    )
    counts = {sid: 0 for sid in question_sids}
    counts.update({row[0]: int(row[1]) for row in conn.execute(query)})
    return counts


# --- questionnaires -----------------------------------------------------------------------------


def questionnaires_query(account_sid: str, include_inactive: bool) -> Select[Any]:
    query = select(qm_questionnaires).where(qm_questionnaires.c.account_sid == account_sid)
    if not include_inactive:
        query = query.where(qm_questionnaires.c.active.is_(True))
    return query


def get_questionnaire(conn: Connection, account_sid: str, sid: str) -> QuestionnaireRecord | None:
    return _get(conn, qm_questionnaires, account_sid, sid, read_questionnaire)


def insert_questionnaire(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(qm_questionnaires).values(**row))


def update_questionnaire(
    conn: Connection, account_sid: str, sid: str, values: dict[str, Any]
) -> bool:
    return _update(conn, qm_questionnaires, account_sid, sid, values)


def delete_questionnaire(conn: Connection, account_sid: str, sid: str) -> bool:
    conn.execute(
        delete(qm_questionnaire_questions).where(
            qm_questionnaire_questions.c.questionnaire_sid == sid
        )
    )
    return _delete(conn, qm_questionnaires, account_sid, sid)


def set_questions(conn: Connection, questionnaire_sid: str, question_sids: Sequence[str]) -> None:
    q = qm_questionnaire_questions
    conn.execute(delete(q).where(q.c.questionnaire_sid == questionnaire_sid))
    if question_sids:
        conn.execute(
            insert(q),
            [
                {"questionnaire_sid": questionnaire_sid, "question_sid": sid, "position": i}
                for i, sid in enumerate(question_sids)
            ],
        )


def questions_of(
    conn: Connection, questionnaire_sids: Sequence[str]
) -> dict[str, list[QuestionRecord]]:
    """Each questionnaire's questions, in order."""
    out: dict[str, list[QuestionRecord]] = {sid: [] for sid in questionnaire_sids}
    if not questionnaire_sids:
        return out
    q = qm_questionnaire_questions.c
    query = (
        select(qm_questions, q.questionnaire_sid)
        .join(qm_questionnaire_questions, q.question_sid == qm_questions.c.sid)
        .where(q.questionnaire_sid.in_(list(questionnaire_sids)))
        .order_by(q.questionnaire_sid, q.position)
    )
    for row in conn.execute(query):
        out[row.questionnaire_sid].append(read_question(row))
    return out


def reviews_with(conn: Connection, questionnaire_sid: str) -> int:
    query = select(func.count()).where(qm_reviews.c.questionnaire_sid == questionnaire_sid)
    return int(conn.execute(query).scalar_one())


# --- an account's own answer sets ---------------------------------------------------------------


def answer_sets(conn: Connection, account_sid: str) -> list[AnswerSetRecord]:
    query = (
        select(qm_answer_sets)
        .where(qm_answer_sets.c.account_sid == account_sid)
        .order_by(qm_answer_sets.c.sort, qm_answer_sets.c.id)
    )
    return [read_answer_set(row) for row in conn.execute(query)]


def insert_answer_set(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(qm_answer_sets).values(**row))


def count_answer_sets(conn: Connection, account_sid: str) -> int:
    query = select(func.count()).where(qm_answer_sets.c.account_sid == account_sid)
    return int(conn.execute(query).scalar_one())
