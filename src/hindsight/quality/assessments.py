"""Assessments and comments on segments: the Assess right.

An assessment (Twilio's resource) is one answer to one question of a questionnaire about one
segment and its agent. Hindsight groups one author's answers with one questionnaire on one
segment into a review, which people keep as a draft until they submit it and whose score is
worked out per category and in total (domain/quality/scoring.py). Answers written through
Twilio's API are submitted at once. Once submitted, each later change is kept as history (who
changed what, from what to what), and every create and update is recorded in the audit trail
in the same transaction as the change.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection

from hindsight.audit.trail import AuditTrail
from hindsight.domain.access import Viewer
from hindsight.domain.clock import Clock
from hindsight.domain.errors import Conflict, Forbidden, InvalidParameter, NotFound
from hindsight.domain.paging import PageRequest
from hindsight.domain.permissions import Permission
from hindsight.domain.quality.answer_sets import (
    NOT_APPLICABLE,
    Answer,
    AnswerSet,
    clean_text,
    comment_tag,
)
from hindsight.domain.quality.scoring import Score, ScoredAnswer, score
from hindsight.domain.sids import Prefix, new_sid
from hindsight.insights.queries import scope_of
from hindsight.quality import segments
from hindsight.quality.answer_sets import answer_sets
from hindsight.quality.catalogue import Page
from hindsight.quality.records import Assessment, Author, Change, Comment, Review
from hindsight.quality.segments import SegmentRef
from hindsight.store import users as user_store
from hindsight.store.database import Database
from hindsight.store.keyset import fetch_page
from hindsight.store.quality import assessments as store
from hindsight.store.quality import catalogue as catalogue_store
from hindsight.store.records import written

ASSESSMENT_ORDER = store.ASSESSMENT_ORDER
COMMENT_ORDER = store.COMMENT_ORDER
DRAFT = "draft"
SUBMITTED = "submitted"
MAX_COMMENT = 4000
MAX_REFERENCE = 200


@dataclass(frozen=True)
class AnswerInput:
    """One answer as Twilio's API sends it: ids, and the names the client believes they have
    (checked, so a client working from a stale catalogue is told rather than misfiled)."""

    question_sid: str
    answer_id: str
    offset: float | None = None
    question_name: str | None = None
    category_sid: str | None = None
    category_name: str | None = None
    answer_text: str | None = None


@dataclass(frozen=True)
class CommentInput:
    segment_id: str
    agent_id: str | None
    comment: str
    tag_id: str
    tag_name: str | None
    offset: float | None
    message_index: int | None = None


@dataclass(frozen=True)
class ConversationQuality:
    """What the conversation screen shows: submitted reviews, the viewer's own drafts, and
    every comment, in recording order."""

    reviews: tuple[Review, ...]
    comments: tuple[Comment, ...]


def _author(conn: Connection, viewer: Viewer) -> Author:
    if not viewer.is_person:
        return Author(viewer.actor_type, viewer.actor_sid, viewer.name, None)
    user = user_store.get_user(conn, viewer.actor_sid)
    email = user.email if user is not None else None
    return Author("user", viewer.actor_sid, viewer.name, email)


def _same(given: str | None, stored: str, what: str) -> None:
    if given is not None and given.strip() != stored:
        raise InvalidParameter(f"{what} {given[:MAX_REFERENCE]!r} does not match {stored!r}")


def _check_agent(ref: SegmentRef, agent_id: str | None) -> str:
    if ref.agent_id is None:
        raise InvalidParameter(
            f"Segment {ref.segment_id} was handled by no agent; assess a segment with one"
        )
    if agent_id is not None and agent_id != ref.agent_id:
        raise InvalidParameter(
            f"AgentId {agent_id[:MAX_REFERENCE]!r} is not the agent of segment {ref.segment_id}"
        )
    return ref.agent_id


def _active_questionnaire(
    conn: Connection, account_sid: str, sid: str
) -> catalogue_store.QuestionnaireRecord:
    row = catalogue_store.get_questionnaire(conn, account_sid, sid)
    if row is None:
        raise InvalidParameter(f"QuestionnaireSid {sid} is not a questionnaire of this account")
    if not row.active:
        raise InvalidParameter(
            f"Questionnaire {sid} is inactive: its past assessments are kept, new ones refused"
        )
    return row


def _answer(
    question: catalogue_store.QuestionRecord, answer_set: AnswerSet | None, answer_id: str
) -> tuple[Answer, float | None]:
    """The chosen answer and its score (None for N/A)."""
    if answer_id == NOT_APPLICABLE.id:
        if not question.allow_na:
            raise InvalidParameter(f"Question {question.sid} does not allow N/A")
        return NOT_APPLICABLE, None
    chosen = answer_set.answer(answer_id) if answer_set is not None else None
    if chosen is None:
        raise InvalidParameter(
            f"AnswerId {answer_id[:MAX_REFERENCE]!r} is not an answer of question {question.sid}"
        )
    return chosen, chosen.score


class AssessmentService:
    def __init__(self, db: Database, clock: Clock, audit: AuditTrail) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit

    async def _may(
        self, viewer: Viewer, permission: Permission, action: str, kind: str, object_id: str | None
    ) -> None:
        """Check a permission about one object; a refusal is recorded (AuditTrail.require)."""
        await self._audit.require(viewer, permission, action, object_type=kind, object_id=object_id)

    # --- answers (Twilio's assessments) ----------------------------------------------------

    async def create(
        self,
        viewer: Viewer,
        segment_id: str,
        agent_id: str | None,
        questionnaire_sid: str,
        answer: AnswerInput,
    ) -> Assessment:
        """One submitted answer, as Twilio's API creates them."""
        await self._may(
            viewer, Permission.ASSESS, "quality.assessment.create", "segment", segment_id
        )

        def unit(conn: Connection) -> Assessment:
            ref = segments.resolve(conn, viewer, segment_id)
            agent = _check_agent(ref, agent_id)
            questionnaire = _active_questionnaire(conn, viewer.account_sid, questionnaire_sid)
            author = _author(conn, viewer)
            review = store.find_review(
                conn, viewer.account_sid, ref.segment_id, questionnaire.sid, author.sid
            )
            if review is None:
                review = self._new_review(conn, viewer, ref, agent, questionnaire.sid, author)
                self._submit(conn, review.sid)
            elif store.answer_for(conn, review.sid, answer.question_sid) is not None:
                raise Conflict(
                    f"Question {answer.question_sid} is already answered in this assessment "
                    "of the segment; update that assessment instead"
                )
            sid = self._write_answer(conn, viewer, review, answer)
            self._rescore(conn, review.sid)
            self._audit.record_in(
                conn,
                viewer,
                "quality.assessment.create",
                object_type="qm_assessment",
                object_id=sid,
                detail={"segment_id": ref.segment_id, "questionnaire_sid": questionnaire.sid},
            )
            return self._assessment(conn, viewer.account_sid, sid)

        return await self._db.write(unit)

    async def update(
        self,
        viewer: Viewer,
        sid: str,
        answer_id: str,
        answer_text: str | None,
        offset: float | None,
    ) -> Assessment:
        await self._may(
            viewer, Permission.ASSESS, "quality.assessment.update", "qm_assessment", sid
        )

        def unit(conn: Connection) -> Assessment:
            row = store.get_assessment(conn, viewer.account_sid, sid)
            if row is None or not self._visible(conn, viewer, row.review_sid):
                raise NotFound(f"No assessment {sid} in this account")
            review = written(store.get_review(conn, viewer.account_sid, row.review_sid))
            self._require_author(viewer, review)
            change = AnswerInput(
                question_sid=row.question_sid,
                answer_id=answer_id,
                offset=offset,
                answer_text=answer_text,
            )
            self._write_answer(conn, viewer, review, change, existing=row)
            self._rescore(conn, review.sid)
            self._audit.record_in(
                conn,
                viewer,
                "quality.assessment.update",
                object_type="qm_assessment",
                object_id=sid,
                detail={"segment_id": row.segment_id},
            )
            return self._assessment(conn, viewer.account_sid, sid)

        return await self._db.write(unit)

    async def list(
        self, viewer: Viewer, segment_id: str | None, page: PageRequest
    ) -> Page[Assessment]:
        await self._may(viewer, Permission.VIEW, "quality.assessment.list", "segment", segment_id)
        query = store.assessments_query(viewer.account_sid, segment_id, scope_of(viewer))
        result = await self._db.scan(
            lambda c: fetch_page(c, query, store.ASSESSMENT_ORDER, page, read=store.read_answer)
        )
        items = [Assessment.of(r) for r in result.rows]
        await self._audit.record(
            viewer,
            "quality.assessment.list",
            object_type="segment" if segment_id else None,
            object_id=segment_id,
            detail={"returned": len(items)},
        )
        return Page(items, result)

    async def segment_scores(
        self, viewer: Viewer, segment_ids: Sequence[str]
    ) -> dict[str, tuple[str, float | None]]:
        """The latest submitted assessment of each segment (questionnaire name, score), for
        segments the caller has already been allowed to list."""
        if not viewer.can(Permission.VIEW):
            return {}
        return await self._db.read(
            lambda conn: store.latest_scores(conn, viewer.account_sid, segment_ids)
        )

    # --- reviews: the conversation screen's assessments ------------------------------------

    async def save_review(
        self,
        viewer: Viewer,
        segment_id: str,
        questionnaire_sid: str,
        answers: Sequence[AnswerInput],
        submit: bool,
    ) -> Review:
        """Write the viewer's answers (a draft, or submitted); changes to a submitted review
        are kept as history. Answers not given are left as they are."""
        await self._may(viewer, Permission.ASSESS, "quality.review.save", "segment", segment_id)
        if len({a.question_sid for a in answers}) != len(answers):
            raise InvalidParameter("A question is answered twice")

        def unit(conn: Connection) -> Review:
            ref = segments.resolve(conn, viewer, segment_id)
            agent = _check_agent(ref, None)
            author = _author(conn, viewer)
            review = store.find_review(
                conn, viewer.account_sid, ref.segment_id, questionnaire_sid, author.sid
            )
            if review is None:
                questionnaire = _active_questionnaire(conn, viewer.account_sid, questionnaire_sid)
                review = self._new_review(conn, viewer, ref, agent, questionnaire.sid, author)
            for answer in answers:
                existing = store.answer_for(conn, review.sid, answer.question_sid)
                self._write_answer(conn, viewer, review, answer, existing=existing)
            if submit and review.status != SUBMITTED:
                self._require_complete(conn, viewer.account_sid, review)
                self._submit(conn, review.sid)
            self._rescore(conn, review.sid)
            action = "quality.review.submit" if submit else "quality.review.save"
            self._audit.record_in(
                conn,
                viewer,
                action,
                object_type="qm_review",
                object_id=review.sid,
                detail={"segment_id": ref.segment_id, "answers": len(answers)},
            )
            return self._review(conn, viewer.account_sid, review.sid)

        return await self._db.write(unit)

    async def conversation(self, viewer: Viewer, conversation_id: str) -> ConversationQuality:
        await self._may(
            viewer, Permission.VIEW, "quality.conversation", "conversation", conversation_id
        )

        def unit(conn: Connection) -> ConversationQuality:
            if not segments.conversation_in_scope(conn, viewer, conversation_id):
                raise NotFound(f"No conversation {conversation_id!r} in this account")
            rows = store.reviews_of_conversation(conn, viewer.account_sid, conversation_id)
            shown = [r for r in rows if r.status == SUBMITTED or r.author_sid == viewer.actor_sid]
            reviews = tuple(self._reviews(conn, viewer.account_sid, shown))
            comments = store.comments_of_conversation(conn, viewer.account_sid, conversation_id)
            return ConversationQuality(reviews, tuple(Comment.of(c) for c in comments))

        found = await self._db.read(unit)
        await self._audit.record(
            viewer,
            "quality.conversation",
            object_type="conversation",
            object_id=conversation_id,
            detail={"reviews": len(found.reviews), "comments": len(found.comments)},
        )
        return found

    # --- comments --------------------------------------------------------------------------

    async def comment(self, viewer: Viewer, given: CommentInput) -> Comment:
        await self._may(
            viewer, Permission.ASSESS, "quality.comment.create", "segment", given.segment_id
        )
        text = clean_text(given.comment, "Comment", MAX_COMMENT)
        tag = comment_tag(given.tag_id)
        if tag is None:
            raise InvalidParameter(
                f"CategoryId {given.tag_id[:MAX_REFERENCE]!r} is not a comment tag "
                "(see /v1/Insights/QualityManagement/Settings/CommentTags)"
            )
        _same(given.tag_name, tag.name, "CategoryName")
        if given.message_index is not None and not 0 <= given.message_index < 1_000_000:
            raise InvalidParameter("message_index must be a message's place in the transcript")

        def unit(conn: Connection) -> Comment:
            ref = segments.resolve(conn, viewer, given.segment_id)
            agent = _check_agent(ref, given.agent_id)
            author = _author(conn, viewer)
            now = self._clock.now_ms()
            sid = new_sid(Prefix.QM_ASSESSMENT)
            store.insert_comment(
                conn,
                {
                    "sid": sid,
                    "account_sid": viewer.account_sid,
                    "segment_id": ref.segment_id,
                    "conversation_id": ref.conversation_id,
                    "agent_id": agent,
                    "comment": text,
                    "tag_id": tag.id,
                    "tag_name": tag.name,
                    "offset_seconds": given.offset,
                    "message_index": given.message_index,
                    "author_type": author.actor_type,
                    "author_sid": author.sid,
                    "author_name": author.name,
                    "author_email": author.email,
                    "date_created": now,
                    "date_updated": now,
                },
            )
            self._audit.record_in(
                conn,
                viewer,
                "quality.comment.create",
                object_type="qm_comment",
                object_id=sid,
                detail={"segment_id": ref.segment_id, "tag": tag.name},
            )
            rows = store.comments_of_conversation(conn, viewer.account_sid, ref.conversation_id)
            return Comment.of(next(r for r in rows if r.sid == sid))

        return await self._db.write(unit)

    async def comments(
        self, viewer: Viewer, segment_id: str | None, agent_id: str | None, page: PageRequest
    ) -> Page[Comment]:
        await self._may(viewer, Permission.VIEW, "quality.comment.list", "segment", segment_id)
        query = store.comments_query(viewer.account_sid, segment_id, agent_id, scope_of(viewer))
        result = await self._db.scan(
            lambda c: fetch_page(c, query, store.COMMENT_ORDER, page, read=store.read_comment)
        )
        items = [Comment.of(r) for r in result.rows]
        await self._audit.record(
            viewer,
            "quality.comment.list",
            object_type="segment" if segment_id else None,
            object_id=segment_id,
            detail={"returned": len(items), "by_agent": agent_id is not None},
        )
        return Page(items, result)

    # --- inside a transaction --------------------------------------------------------------

    def _new_review(
        self,
        conn: Connection,
        viewer: Viewer,
        ref: SegmentRef,
        agent_id: str,
        questionnaire_sid: str,
        author: Author,
    ) -> store.ReviewRecord:
        now = self._clock.now_ms()
        sid = new_sid(Prefix.QM_REVIEW)
        store.insert_review(
            conn,
            {
                "sid": sid,
                "account_sid": viewer.account_sid,
                "segment_id": ref.segment_id,
                "conversation_id": ref.conversation_id,
                "agent_id": agent_id,
                "agent_name": ref.agent_name,
                "queue_name": ref.queue_name,
                "questionnaire_sid": questionnaire_sid,
                "author_type": author.actor_type,
                "author_sid": author.sid,
                "author_name": author.name,
                "author_email": author.email,
                "status": DRAFT,
                "score": None,
                "submitted_ms": None,
                "acknowledged_ms": None,
                "version": 1,
                "date_created": now,
                "date_updated": now,
            },
        )
        return written(store.get_review(conn, viewer.account_sid, sid))

    def _submit(self, conn: Connection, review_sid: str) -> None:
        now = self._clock.now_ms()
        store.update_review(
            conn, review_sid, {"status": SUBMITTED, "submitted_ms": now, "date_updated": now}
        )

    def _write_answer(
        self,
        conn: Connection,
        viewer: Viewer,
        review: store.ReviewRecord,
        given: AnswerInput,
        existing: store.AnswerRecord | None = None,
    ) -> str:
        """Insert or change one answer of `review`; returns its SID. Checks the question is
        the questionnaire's (or, for a change, still exists) and the answer is one of its."""
        account = viewer.account_sid
        question = catalogue_store.get_question(conn, account, given.question_sid)
        if question is None:
            raise InvalidParameter(
                f"MetricId {given.question_sid} is not a question of this account"
            )
        if existing is None:
            held = catalogue_store.questions_of(conn, [review.questionnaire_sid])
            if question.sid not in {q.sid for q in held[review.questionnaire_sid]}:
                raise InvalidParameter(
                    f"Question {question.sid} is not in questionnaire {review.questionnaire_sid}"
                )
        category = written(catalogue_store.get_category(conn, account, question.category_sid))
        if given.category_sid is not None and given.category_sid != question.category_sid:
            raise InvalidParameter(
                f"CategorySid {given.category_sid} is not the category of question {question.sid}"
            )
        _same(given.category_name, category.name, "CategoryName")
        _same(given.question_name, question.question, "MetricName")
        answer_set = answer_sets(conn, account).get(question.answer_set_id)
        chosen, points = _answer(question, answer_set, given.answer_id)
        _same(given.answer_text, chosen.name, "AnswerText")
        now = self._clock.now_ms()
        values = {
            "answer_id": chosen.id,
            "answer_text": chosen.name,
            "score": points,
            "max_score": answer_set.max_score if answer_set is not None else 0.0,
            "offset_seconds": given.offset,
            "date_updated": now,
        }
        if existing is not None:
            if review.status == SUBMITTED:
                self._history(conn, viewer, review, existing, values)
            store.update_assessment(conn, existing.sid, values)
            return existing.sid
        sid = new_sid(Prefix.QM_ASSESSMENT)
        store.insert_assessment(
            conn,
            {
                **values,
                "sid": sid,
                "review_sid": review.sid,
                "account_sid": account,
                "segment_id": review.segment_id,
                "agent_id": review.agent_id,
                "questionnaire_sid": review.questionnaire_sid,
                "question_sid": question.sid,
                "question_name": question.question,
                "category_sid": category.sid,
                "category_name": category.name,
                "date_created": now,
            },
        )
        if review.status == SUBMITTED:
            self._history(
                conn, viewer, review, None, {**values, "question_name": question.question}
            )
        return sid

    def _history(
        self,
        conn: Connection,
        viewer: Viewer,
        review: store.ReviewRecord,
        before: store.AnswerRecord | None,
        after: dict[str, Any],
    ) -> None:
        question = before.question_name if before is not None else after["question_name"]
        changes = []
        for field, column in (("answer", "answer_text"), ("offset", "offset_seconds")):
            old = getattr(before, column) if before is not None else None
            if old != after[column]:
                changes.append(
                    {"question": question, "field": field, "before": old, "after": after[column]}
                )
        store.add_changes(
            conn,
            [
                {
                    "account_sid": viewer.account_sid,
                    "review_sid": review.sid,
                    "at_ms": self._clock.now_ms(),
                    "actor_sid": viewer.actor_sid,
                    "actor_name": viewer.name,
                    "change": orjson.dumps(change).decode(),
                }
                for change in changes
            ],
        )

    def _rescore(self, conn: Connection, review_sid: str) -> None:
        answers = store.answers_of(conn, [review_sid])[review_sid]
        total = _score(answers).total
        store.update_review(
            conn, review_sid, {"score": total, "date_updated": self._clock.now_ms()}
        )

    def _require_complete(
        self, conn: Connection, account_sid: str, review: store.ReviewRecord
    ) -> None:
        held = catalogue_store.questions_of(conn, [review.questionnaire_sid])[
            review.questionnaire_sid
        ]
        answered = {a.question_sid for a in store.answers_of(conn, [review.sid])[review.sid]}
        missing = [q.question for q in held if q.sid not in answered]
        if missing:
            raise InvalidParameter(f"Answer every question before submitting: {missing[0]!r}")

    def _require_author(self, viewer: Viewer, review: store.ReviewRecord) -> None:
        # People change only their own assessments; an integration holds the whole account.
        if viewer.is_person and review.author_sid != viewer.actor_sid:
            raise Forbidden("Only the author of an assessment can change it")

    def _visible(self, conn: Connection, viewer: Viewer, review_sid: str) -> bool:
        review = store.get_review(conn, viewer.account_sid, review_sid)
        if review is None:
            return False
        if review.status != SUBMITTED and review.author_sid != viewer.actor_sid:
            return False
        return segments.conversation_in_scope(conn, viewer, review.conversation_id)

    def _assessment(self, conn: Connection, account_sid: str, sid: str) -> Assessment:
        return Assessment.of(written(store.get_assessment(conn, account_sid, sid)))

    def _review(self, conn: Connection, account_sid: str, sid: str) -> Review:
        return self._reviews(
            conn, account_sid, [written(store.get_review(conn, account_sid, sid))]
        )[0]

    def _reviews(
        self, conn: Connection, account_sid: str, rows: Sequence[store.ReviewRecord]
    ) -> builtins.list[Review]:  # `builtins`: the class has a method named `list`
        return build_reviews(conn, account_sid, rows)


def build_reviews(
    conn: Connection, account_sid: str, rows: Sequence[store.ReviewRecord]
) -> list[Review]:
    sids = [r.sid for r in rows]
    answers = store.answers_of(conn, sids)
    changes = store.changes_of(conn, sids)
    names: dict[str, str] = {}
    for r in rows:
        if r.questionnaire_sid not in names:
            q = catalogue_store.get_questionnaire(conn, account_sid, r.questionnaire_sid)
            names[r.questionnaire_sid] = q.name if q is not None else ""
    out = []
    for r in rows:
        author = Author(r.author_type, r.author_sid, r.author_name, r.author_email)
        out.append(
            Review(
                sid=r.sid,
                segment_id=r.segment_id,
                conversation_id=r.conversation_id,
                agent_id=r.agent_id,
                questionnaire_sid=r.questionnaire_sid,
                questionnaire_name=names[r.questionnaire_sid],
                author=author,
                status=r.status,
                answers=tuple(Assessment.of(a) for a in answers[r.sid]),
                score=_score(answers[r.sid]),
                submitted_ms=r.submitted_ms,
                acknowledged_ms=r.acknowledged_ms,
                date_created=r.date_created,
                date_updated=r.date_updated,
                changes=tuple(_change(c) for c in changes[r.sid]),
            )
        )
    return out


def _score(answers: Sequence[store.AnswerRecord]) -> Score:
    return score(ScoredAnswer(a.category_name, a.score, a.max_score) for a in answers)


def _change(row: store.ChangeRecord) -> Change:
    data = orjson.loads(row.change)
    return Change(
        at_ms=row.at_ms,
        actor_name=row.actor_name,
        question=data.get("question", ""),
        field=data.get("field", ""),
        before=data.get("before"),
        after=data.get("after"),
    )
