"""Categories, questions, questionnaires and answer sets: what assessments are made with.

Changing them takes the Create/Edit Questionnaires right; reading them, any right to do with
assessments. Every change is recorded in the audit trail in its own transaction. Nothing an
assessment refers to can be deleted from under it: a category holding questions, a question
in a questionnaire, and a questionnaire with assessments are refused (deactivate the
questionnaire instead; its past assessments stay as they were).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Select

from hindsight.audit.trail import AuditTrail
from hindsight.domain.access import Viewer
from hindsight.domain.clock import Clock
from hindsight.domain.errors import InvalidParameter, NotFound
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.permissions import Permission
from hindsight.domain.quality.answer_sets import (
    CATEGORIES,
    COMMENT_TAGS,
    MAX_DESCRIPTION,
    MAX_NAME,
    NOT_APPLICABLE,
    Answer,
    AnswerSet,
    AnswerSetCategory,
    CommentTag,
    clean_text,
    custom_answer_set,
)
from hindsight.domain.sids import Prefix, new_sid
from hindsight.domain.unset import Unset
from hindsight.quality import answer_sets as sets
from hindsight.quality.permissions import CATALOGUE_READERS, require_any
from hindsight.quality.records import Category, Question, Questionnaire
from hindsight.store.database import Database
from hindsight.store.keyset import SortKey, fetch_page
from hindsight.store.quality import catalogue as store
from hindsight.store.records import AnyRow, written

T = TypeVar("T")
Item = TypeVar("Item")
R = TypeVar("R")
# The orders lists are read in, for the HTTP layer's page tokens.
CATEGORY_ORDER = store.CATEGORY_ORDER
QUESTION_ORDER = store.QUESTION_ORDER
QUESTIONNAIRE_ORDER = store.QUESTIONNAIRE_ORDER
MAX_QUESTION = 500
MAX_QUESTIONS_PER_QUESTIONNAIRE = 200
MAX_ANSWER_SETS = 100


@dataclass(frozen=True)
class Page(Generic[Item]):
    """A page of records, with the store's records it was built from (their keys make the
    page tokens)."""

    items: list[Item]
    result: PageResult[Any]


@dataclass(frozen=True)
class AnswerSetCatalogue:
    answer_sets: tuple[AnswerSet, ...]
    categories: tuple[AnswerSetCategory, ...]
    not_applicable: Answer


def _name(value: str) -> str:
    return clean_text(value, "Name", MAX_NAME)


def _description(value: str) -> str:
    return clean_text(value, "Description", MAX_DESCRIPTION, required=False)


def _category(conn: Connection, account_sid: str, sid: str) -> store.CategoryRecord:
    row = store.get_category(conn, account_sid, sid)
    if row is None:
        raise InvalidParameter(f"CategorySid {sid} is not a category of this account")
    return row


def _answer_set(conn: Connection, account_sid: str, answer_set_id: str) -> AnswerSet:
    found = sets.answer_sets(conn, account_sid).get(answer_set_id)
    if found is None:
        raise InvalidParameter(
            f"AnswerSetId {answer_set_id[:40]!r} is not an answer set of this account "
            "(see /v1/Insights/QualityManagement/Settings/AnswerSets)"
        )
    return found


def build_questions(
    conn: Connection, account_sid: str, rows: Sequence[store.QuestionRecord]
) -> list[Question]:
    """Question records for question rows: their category, answer set and usage."""
    categories = store.categories_by_sid(conn, [r.category_sid for r in rows])
    known = sets.answer_sets(conn, account_sid)
    used = store.usage(conn, [r.sid for r in rows])
    return [
        Question(
            sid=r.sid,
            account_sid=r.account_sid,
            category=Category.of(categories[r.category_sid]),
            question=r.question,
            description=r.description,
            answer_set=known.get(r.answer_set_id) or AnswerSet(r.answer_set_id, "", "", 0, ()),
            allow_na=bool(r.allow_na),
            usage=used.get(r.sid, 0),
            date_created=r.date_created,
            date_updated=r.date_updated,
        )
        for r in rows
    ]


def build_questionnaires(
    conn: Connection, account_sid: str, rows: Sequence[store.QuestionnaireRecord]
) -> list[Questionnaire]:
    members = store.questions_of(conn, [r.sid for r in rows])
    every = [q for listed in members.values() for q in listed]
    questions = {q.sid: q for q in build_questions(conn, account_sid, every)}
    return [
        Questionnaire(
            sid=r.sid,
            account_sid=r.account_sid,
            name=r.name,
            description=r.description,
            active=bool(r.active),
            questions=tuple(questions[q.sid] for q in members[r.sid]),
            date_created=r.date_created,
            date_updated=r.date_updated,
        )
        for r in rows
    ]


def _question_sids(conn: Connection, account_sid: str, sids: Sequence[str]) -> list[str]:
    if len(set(sids)) != len(sids):
        raise InvalidParameter("QuestionSids names a question twice")
    if len(sids) > MAX_QUESTIONS_PER_QUESTIONNAIRE:
        raise InvalidParameter(
            f"A questionnaire holds at most {MAX_QUESTIONS_PER_QUESTIONNAIRE} questions"
        )
    found = store.questions_by_sid(conn, account_sid, sids)
    missing = [sid for sid in sids if sid not in found]
    if missing:
        raise InvalidParameter(f"QuestionSids: {missing[0]} is not a question of this account")
    return list(sids)


class CatalogueService:
    def __init__(self, db: Database, clock: Clock, audit: AuditTrail) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit

    async def _can_read(self, viewer: Viewer, action: str) -> None:
        await require_any(self._audit, viewer, CATALOGUE_READERS, action)

    async def _can_change(self, viewer: Viewer, action: str, object_id: str | None) -> None:
        await self._audit.require(
            viewer, Permission.QUESTIONNAIRES, action, object_type="qm", object_id=object_id
        )

    async def _change(self, fn: Callable[[Connection], T]) -> T:
        return await self._db.write(fn)

    def _record(
        self, conn: Connection, viewer: Viewer, action: str, sid: str, detail: dict[str, Any]
    ) -> None:
        kind = action.split(".")[1]
        self._audit.record_in(
            conn, viewer, action, object_type=f"qm_{kind}", object_id=sid, detail=detail
        )

    async def _page(
        self,
        viewer: Viewer,
        action: str,
        query: Select[Any],
        order: Sequence[SortKey],
        page: PageRequest,
        read: Callable[[AnyRow], R],
        build: Callable[[Connection, str, Sequence[R]], list[Item]],
    ) -> Page[Item]:
        """One page of a catalogue list, its rows built into records in the same read."""
        await self._can_read(viewer, action)

        def unit(conn: Connection) -> Page[Item]:
            result = fetch_page(conn, query, order, page, read=read)
            return Page(build(conn, viewer.account_sid, result.rows), result)

        return await self._db.scan(unit)

    # --- categories ------------------------------------------------------------------------

    async def categories(self, viewer: Viewer, page: PageRequest) -> Page[Category]:
        query = store.categories_query(viewer.account_sid)
        return await self._page(
            viewer,
            "quality.category.list",
            query,
            store.CATEGORY_ORDER,
            page,
            store.read_category,
            lambda _conn, _account, rows: [Category.of(r) for r in rows],
        )

    async def create_category(self, viewer: Viewer, name: str) -> Category:
        await self._can_change(viewer, "quality.category.create", None)
        now = self._clock.now_ms()
        row = {
            "sid": new_sid(Prefix.QM_CATEGORY),
            "account_sid": viewer.account_sid,
            "name": _name(name),
            "date_created": now,
            "date_updated": now,
        }

        def unit(conn: Connection) -> Category:
            store.insert_category(conn, row)
            self._record(conn, viewer, "quality.category.create", row["sid"], {"name": row["name"]})
            return Category.of(written(store.get_category(conn, viewer.account_sid, row["sid"])))

        return await self._change(unit)

    async def update_category(self, viewer: Viewer, sid: str, name: str) -> Category:
        await self._can_change(viewer, "quality.category.update", sid)
        values = {"name": _name(name), "date_updated": self._clock.now_ms()}

        def unit(conn: Connection) -> Category:
            if not store.update_category(conn, viewer.account_sid, sid, values):
                raise NotFound(f"No category {sid} in this account")
            self._record(conn, viewer, "quality.category.update", sid, {"name": values["name"]})
            return Category.of(written(store.get_category(conn, viewer.account_sid, sid)))

        return await self._change(unit)

    async def delete_category(self, viewer: Viewer, sid: str) -> None:
        await self._can_change(viewer, "quality.category.delete", sid)

        def unit(conn: Connection) -> None:
            if store.get_category(conn, viewer.account_sid, sid) is None:
                raise NotFound(f"No category {sid} in this account")
            held = store.questions_in_category(conn, sid)
            if held:
                raise InvalidParameter(
                    f"Category {sid} holds {held} question(s); move or delete them first"
                )
            store.delete_category(conn, viewer.account_sid, sid)
            self._record(conn, viewer, "quality.category.delete", sid, {})

        await self._change(unit)

    # --- questions -------------------------------------------------------------------------

    async def questions(
        self, viewer: Viewer, category_sids: Sequence[str], page: PageRequest
    ) -> Page[Question]:
        query = store.questions_query(viewer.account_sid, category_sids)
        return await self._page(
            viewer,
            "quality.question.list",
            query,
            store.QUESTION_ORDER,
            page,
            store.read_question,
            build_questions,
        )

    async def question(self, viewer: Viewer, sid: str) -> Question:
        await self._can_read(viewer, "quality.question.fetch")

        def unit(conn: Connection) -> Question:
            row = store.get_question(conn, viewer.account_sid, sid)
            if row is None:
                raise NotFound(f"No question {sid} in this account")
            return build_questions(conn, viewer.account_sid, [row])[0]

        return await self._db.read(unit)

    async def create_question(
        self,
        viewer: Viewer,
        *,
        category_sid: str,
        question: str,
        answer_set_id: str,
        allow_na: bool,
        description: str = "",
    ) -> Question:
        await self._can_change(viewer, "quality.question.create", None)
        now = self._clock.now_ms()
        row = {
            "sid": new_sid(Prefix.QM_QUESTION),
            "account_sid": viewer.account_sid,
            "category_sid": category_sid,
            "question": clean_text(question, "Question", MAX_QUESTION),
            "description": _description(description),
            "answer_set_id": answer_set_id,
            "allow_na": allow_na,
            "date_created": now,
            "date_updated": now,
        }

        def unit(conn: Connection) -> Question:
            _category(conn, viewer.account_sid, category_sid)
            _answer_set(conn, viewer.account_sid, answer_set_id)
            store.insert_question(conn, row)
            detail = {k: row[k] for k in ("category_sid", "answer_set_id", "allow_na")}
            self._record(conn, viewer, "quality.question.create", row["sid"], detail)
            return build_questions(conn, viewer.account_sid, [_get_question(conn, viewer, row)])[0]

        return await self._change(unit)

    async def update_question(
        self,
        viewer: Viewer,
        sid: str,
        *,
        allow_na: bool,
        category_sid: str | Unset,
        question: str | Unset,
        description: str | Unset,
        answer_set_id: str | Unset,
    ) -> Question:
        await self._can_change(viewer, "quality.question.update", sid)
        values: dict[str, Any] = {"allow_na": allow_na, "date_updated": self._clock.now_ms()}
        if not isinstance(question, Unset):
            values["question"] = clean_text(question, "Question", MAX_QUESTION)
        if not isinstance(description, Unset):
            values["description"] = _description(description)

        def unit(conn: Connection) -> Question:
            if store.get_question(conn, viewer.account_sid, sid) is None:
                raise NotFound(f"No question {sid} in this account")
            if not isinstance(category_sid, Unset):
                values["category_sid"] = _category(conn, viewer.account_sid, category_sid).sid
            if not isinstance(answer_set_id, Unset):
                values["answer_set_id"] = _answer_set(conn, viewer.account_sid, answer_set_id).id
            store.update_question(conn, viewer.account_sid, sid, values)
            changed = sorted(k for k in values if k != "date_updated")
            self._record(conn, viewer, "quality.question.update", sid, {"changed": changed})
            row = written(store.get_question(conn, viewer.account_sid, sid))
            return build_questions(conn, viewer.account_sid, [row])[0]

        return await self._change(unit)

    async def delete_question(self, viewer: Viewer, sid: str) -> None:
        await self._can_change(viewer, "quality.question.delete", sid)

        def unit(conn: Connection) -> None:
            if store.get_question(conn, viewer.account_sid, sid) is None:
                raise NotFound(f"No question {sid} in this account")
            used = store.usage(conn, [sid])[sid]
            if used:
                raise InvalidParameter(
                    f"Question {sid} is in {used} questionnaire(s); remove it from them first"
                )
            store.delete_question(conn, viewer.account_sid, sid)
            self._record(conn, viewer, "quality.question.delete", sid, {})

        await self._change(unit)

    # --- questionnaires --------------------------------------------------------------------

    async def questionnaires(
        self, viewer: Viewer, include_inactive: bool, page: PageRequest
    ) -> Page[Questionnaire]:
        query = store.questionnaires_query(viewer.account_sid, include_inactive)
        return await self._page(
            viewer,
            "quality.questionnaire.list",
            query,
            store.QUESTIONNAIRE_ORDER,
            page,
            store.read_questionnaire,
            build_questionnaires,
        )

    async def questionnaire(self, viewer: Viewer, sid: str) -> Questionnaire:
        await self._can_read(viewer, "quality.questionnaire.fetch")

        def unit(conn: Connection) -> Questionnaire:
            return _questionnaire(conn, viewer.account_sid, sid)

        return await self._db.read(unit)

    async def create_questionnaire(
        self,
        viewer: Viewer,
        *,
        name: str,
        description: str = "",
        active: bool = True,
        question_sids: Sequence[str] = (),
    ) -> Questionnaire:
        await self._can_change(viewer, "quality.questionnaire.create", None)
        now = self._clock.now_ms()
        row = {
            "sid": new_sid(Prefix.QM_QUESTIONNAIRE),
            "account_sid": viewer.account_sid,
            "name": _name(name),
            "description": _description(description),
            "active": active,
            "date_created": now,
            "date_updated": now,
        }

        def unit(conn: Connection) -> Questionnaire:
            ordered = _question_sids(conn, viewer.account_sid, question_sids)
            store.insert_questionnaire(conn, row)
            store.set_questions(conn, row["sid"], ordered)
            detail = {"name": row["name"], "active": active, "questions": ordered}
            self._record(conn, viewer, "quality.questionnaire.create", row["sid"], detail)
            return _questionnaire(conn, viewer.account_sid, row["sid"])

        return await self._change(unit)

    async def update_questionnaire(
        self,
        viewer: Viewer,
        sid: str,
        *,
        active: bool,
        name: str | Unset,
        description: str | Unset,
        question_sids: Sequence[str] | Unset,
    ) -> Questionnaire:
        await self._can_change(viewer, "quality.questionnaire.update", sid)
        values: dict[str, Any] = {"active": active, "date_updated": self._clock.now_ms()}
        if not isinstance(name, Unset):
            values["name"] = _name(name)
        if not isinstance(description, Unset):
            values["description"] = _description(description)

        def unit(conn: Connection) -> Questionnaire:
            if store.get_questionnaire(conn, viewer.account_sid, sid) is None:
                raise NotFound(f"No questionnaire {sid} in this account")
            detail: dict[str, Any] = {"active": active}
            if not isinstance(question_sids, Unset):
                ordered = _question_sids(conn, viewer.account_sid, question_sids)
                store.set_questions(conn, sid, ordered)
                detail["questions"] = ordered
            store.update_questionnaire(conn, viewer.account_sid, sid, values)
            detail["changed"] = sorted(k for k in values if k != "date_updated")
            self._record(conn, viewer, "quality.questionnaire.update", sid, detail)
            return _questionnaire(conn, viewer.account_sid, sid)

        return await self._change(unit)

    async def delete_questionnaire(self, viewer: Viewer, sid: str) -> None:
        await self._can_change(viewer, "quality.questionnaire.delete", sid)

        def unit(conn: Connection) -> None:
            if store.get_questionnaire(conn, viewer.account_sid, sid) is None:
                raise NotFound(f"No questionnaire {sid} in this account")
            made = store.reviews_with(conn, sid)
            if made:
                raise InvalidParameter(
                    f"Questionnaire {sid} has {made} assessment(s); deactivate it instead "
                    "(Active=false) so they are kept"
                )
            store.delete_questionnaire(conn, viewer.account_sid, sid)
            self._record(conn, viewer, "quality.questionnaire.delete", sid, {})

        await self._change(unit)

    # --- answer sets and comment tags ------------------------------------------------------

    async def answer_sets(self, viewer: Viewer) -> AnswerSetCatalogue:
        await self._can_read(viewer, "quality.answer_set.list")
        known = await self._db.read(lambda conn: sets.answer_sets(conn, viewer.account_sid))
        return AnswerSetCatalogue(tuple(known.values()), CATEGORIES, NOT_APPLICABLE)

    async def add_answer_set(self, viewer: Viewer, name: str, answers: Sequence[Any]) -> AnswerSet:
        await self._can_change(viewer, "quality.answer_set.create", None)
        set_id = str(uuid.uuid4())

        def unit(conn: Connection) -> AnswerSet:
            count = store.count_answer_sets(conn, viewer.account_sid)
            if count >= MAX_ANSWER_SETS:
                raise InvalidParameter(f"An account has at most {MAX_ANSWER_SETS} answer sets")
            built = custom_answer_set(set_id, name, answers, sort=100 + count)
            now = self._clock.now_ms()
            store.insert_answer_set(
                conn,
                {
                    "id": set_id,
                    "account_sid": viewer.account_sid,
                    "name": built.name,
                    "sort": built.sort,
                    "answers": sets.encode_answers(built),
                    "created_by": viewer.name,
                    "date_created": now,
                    "date_updated": now,
                },
            )
            self._record(conn, viewer, "quality.answer_set.create", set_id, {"name": built.name})
            return built

        return await self._change(unit)

    async def comment_tags(self, viewer: Viewer) -> tuple[CommentTag, ...]:
        await self._can_read(viewer, "quality.comment_tag.list")
        return COMMENT_TAGS


def _get_question(conn: Connection, viewer: Viewer, row: dict[str, Any]) -> store.QuestionRecord:
    return written(store.get_question(conn, viewer.account_sid, row["sid"]))


def _questionnaire(conn: Connection, account_sid: str, sid: str) -> Questionnaire:
    row = store.get_questionnaire(conn, account_sid, sid)
    if row is None:
        raise NotFound(f"No questionnaire {sid} in this account")
    return build_questionnaires(conn, account_sid, [row])[0]


__all__ = [
    "CATEGORY_ORDER",
    "QUESTIONNAIRE_ORDER",
    "QUESTION_ORDER",
    "AnswerSetCatalogue",
    "CatalogueService",
    "Page",
]
