"""Quality records as Hindsight's own JSON API shows them (the conversation screen and the
questionnaire editor read these)."""

from __future__ import annotations

from typing import Any

from hindsight.domain.access import Viewer
from hindsight.domain.quality.answer_sets import AnswerSet
from hindsight.domain.record_fields import fields_of
from hindsight.quality.records import Assessment, Comment, Question, Questionnaire, Review


def answer_set(item: AnswerSet) -> dict[str, Any]:
    return {**item.to_json(), "builtin": item.builtin, "max_score": item.max_score}


def question(item: Question) -> dict[str, Any]:
    return {
        "sid": item.sid,
        "question": item.question,
        "description": item.description,
        "category": {"sid": item.category.sid, "name": item.category.name},
        "allow_na": item.allow_na,
        "answer_set": answer_set(item.answer_set),
        "usage": item.usage,
    }


def questionnaire(item: Questionnaire) -> dict[str, Any]:
    return {
        **fields_of(item, "sid", "name", "description", "active"),
        "questions": [question(q) for q in item.questions],
    }


def answer(item: Assessment) -> dict[str, Any]:
    return {
        **fields_of(item, "sid", "question_sid"),
        "question": item.question_name,
        "category": item.category_name,
        "answer_id": item.answer_id,
        "answer": item.answer_text,
        **fields_of(item, "score", "max_score", "offset"),
    }


def review(item: Review, viewer: Viewer) -> dict[str, Any]:
    return {
        "sid": item.sid,
        "segment_id": item.segment_id,
        "agent_id": item.agent_id,
        "questionnaire_sid": item.questionnaire_sid,
        "questionnaire_name": item.questionnaire_name,
        "author": item.author.name,
        "mine": item.author.sid == viewer.actor_sid,
        "status": item.status,
        "score": {
            "total": item.score.total,
            "categories": [
                {"category": name, "score": value} for name, value in item.score.by_category.items()
            ],
        },
        "answers": [answer(a) for a in item.answers],
        "submitted_ms": item.submitted_ms,
        "date_updated": item.date_updated,
        "changes": [
            {
                "at_ms": c.at_ms,
                "by": c.actor_name,
                "question": c.question,
                "field": c.field,
                "before": c.before,
                "after": c.after,
            }
            for c in item.changes
        ],
    }


def comment(item: Comment) -> dict[str, Any]:
    return {
        "sid": item.sid,
        "segment_id": item.segment_id,
        "comment": item.comment,
        "tag": {"id": item.tag_id, "name": item.tag_name},
        "offset": item.offset,
        "message_index": item.message_index,
        "author": item.author.name,
        "date_created": item.date_created,
    }
