"""Typed records of quality management, as the services hand them to the HTTP layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hindsight.domain.quality.answer_sets import AnswerSet
from hindsight.domain.quality.scoring import Score
from hindsight.store.quality.assessments import AnswerRecord, CommentRecord
from hindsight.store.quality.catalogue import CategoryRecord


@dataclass(frozen=True)
class Category:
    sid: str
    account_sid: str
    name: str
    date_created: int
    date_updated: int

    @classmethod
    def of(cls, row: CategoryRecord) -> Category:
        return cls(row.sid, row.account_sid, row.name, row.date_created, row.date_updated)


@dataclass(frozen=True)
class Question:
    sid: str
    account_sid: str
    category: Category
    question: str
    description: str
    answer_set: AnswerSet
    allow_na: bool
    usage: int
    date_created: int
    date_updated: int


@dataclass(frozen=True)
class Questionnaire:
    sid: str
    account_sid: str
    name: str
    description: str
    active: bool
    questions: tuple[Question, ...]
    date_created: int
    date_updated: int


@dataclass(frozen=True)
class Author:
    actor_type: str
    sid: str
    name: str | None
    email: str | None


@dataclass(frozen=True)
class Assessment:
    """One answer to one question: Twilio's assessment resource."""

    sid: str
    account_sid: str
    review_sid: str
    segment_id: str
    agent_id: str
    questionnaire_sid: str
    questionnaire_name: str
    question_sid: str
    question_name: str
    category_sid: str
    category_name: str
    answer_id: str
    answer_text: str
    score: float | None
    max_score: float
    offset: float | None
    author_name: str | None
    author_email: str | None
    date_created: int
    date_updated: int

    @classmethod
    def of(cls, row: AnswerRecord) -> Assessment:
        """From a row of store.quality.assessments' answer queries (author and
        questionnaire name joined in)."""
        return cls(
            sid=row.sid,
            account_sid=row.account_sid,
            review_sid=row.review_sid,
            segment_id=row.segment_id,
            agent_id=row.agent_id,
            questionnaire_sid=row.questionnaire_sid,
            questionnaire_name=row.questionnaire_name,
            question_sid=row.question_sid,
            question_name=row.question_name,
            category_sid=row.category_sid,
            category_name=row.category_name,
            answer_id=row.answer_id,
            answer_text=row.answer_text,
            score=row.score,
            max_score=row.max_score,
            offset=row.offset_seconds,
            author_name=row.author_name,
            author_email=row.author_email,
            date_created=row.date_created,
            date_updated=row.date_updated,
        )


@dataclass(frozen=True)
class Change:
    at_ms: int
    actor_name: str | None
    question: str
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Review:
    """One author's assessment of one segment with one questionnaire: draft or submitted."""

    sid: str
    segment_id: str
    conversation_id: str
    agent_id: str
    questionnaire_sid: str
    questionnaire_name: str
    author: Author
    status: str
    answers: tuple[Assessment, ...]
    score: Score
    submitted_ms: int | None
    acknowledged_ms: int | None
    date_created: int
    date_updated: int
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class Comment:
    sid: str
    account_sid: str
    segment_id: str
    conversation_id: str
    agent_id: str
    comment: str
    tag_id: str
    tag_name: str
    offset: float | None
    message_index: int | None
    author: Author
    date_created: int
    date_updated: int

    @classmethod
    def of(cls, row: CommentRecord) -> Comment:
        return cls(
            sid=row.sid,
            account_sid=row.account_sid,
            segment_id=row.segment_id,
            conversation_id=row.conversation_id,
            agent_id=row.agent_id,
            comment=row.comment,
            tag_id=row.tag_id,
            tag_name=row.tag_name,
            offset=row.offset_seconds,
            message_index=row.message_index,
            author=Author(row.author_type, row.author_sid, row.author_name, row.author_email),
            date_created=row.date_created,
            date_updated=row.date_updated,
        )
