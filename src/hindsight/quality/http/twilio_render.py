"""Quality management records in Twilio's wire format (the Flex v1 OpenAPI's field names)."""

from __future__ import annotations

from typing import Any

from hindsight.domain.quality.offsets import format_offset
from hindsight.domain.timefmt import iso8601
from hindsight.quality.catalogue import AnswerSetCatalogue
from hindsight.quality.records import Assessment, Category, Comment, Question, Questionnaire
from hindsight.quality.sessions import IssuedSession

QM = "/v1/Insights/QualityManagement"
CATEGORIES = f"{QM}/Categories"
QUESTIONS = f"{QM}/Questions"
QUESTIONNAIRES = f"{QM}/Questionnaires"
ASSESSMENTS = f"{QM}/Assessments"
COMMENTS = f"{QM}/Assessments/Comments"
ANSWER_SETS = f"{QM}/Settings/AnswerSets"
COMMENT_TAGS = f"{QM}/Settings/CommentTags"
SESSION = "/v1/Insights/Session"
USER_ROLES = "/v1/Insights/UserRoles"
# Every answer counts once toward Twilio's reports; Hindsight's score weighs answers by their
# answer set (domain/quality/scoring.py).
_WEIGHT = "1"


def category(base: str, item: Category) -> dict[str, Any]:
    return {
        "account_sid": item.account_sid,
        "category_sid": item.sid,
        "name": item.name,
        "url": f"{base}{CATEGORIES}/{item.sid}",
    }


def question(base: str, item: Question) -> dict[str, Any]:
    return {
        "account_sid": item.account_sid,
        "question_sid": item.sid,
        "question": item.question,
        "description": item.description,
        "category": {"category_sid": item.category.sid, "category_name": item.category.name},
        "answer_set_id": item.answer_set.id,
        "allow_na": item.allow_na,
        "usage": item.usage,
        "answer_set": item.answer_set.to_json(),
        "url": f"{base}{QUESTIONS}/{item.sid}",
    }


def questionnaire(base: str, item: Questionnaire) -> dict[str, Any]:
    return {
        "account_sid": item.account_sid,
        "questionnaire_sid": item.sid,
        "name": item.name,
        "description": item.description,
        "active": item.active,
        "questions": [question(base, q) for q in item.questions],
        "url": f"{base}{QUESTIONNAIRES}/{item.sid}",
    }


def assessment(base: str, item: Assessment) -> dict[str, Any]:
    return {
        "account_sid": item.account_sid,
        "assessment_sid": item.sid,
        "offset": format_offset(item.offset),
        "report": True,
        "weight": _WEIGHT,
        "agent_id": item.agent_id,
        "segment_id": item.segment_id,
        "user_name": item.author_name,
        "user_email": item.author_email,
        "answer_text": item.answer_text,
        "answer_id": item.answer_id,
        "assessment": {
            "questionnaire": {
                "questionnaire_sid": item.questionnaire_sid,
                "name": item.questionnaire_name,
                "question": {
                    "question_sid": item.question_sid,
                    "name": item.question_name,
                    "category": {"category_sid": item.category_sid, "name": item.category_name},
                },
            }
        },
        "timestamp": str(item.date_updated),
        "url": f"{base}{ASSESSMENTS}/{item.sid}",
    }


def comment(base: str, item: Comment) -> dict[str, Any]:
    return {
        "account_sid": item.account_sid,
        "assessment_sid": item.sid,
        "comment": {
            "comment": item.comment,
            "category": {"category_id": item.tag_id, "name": item.tag_name},
        },
        "offset": format_offset(item.offset),
        "report": True,
        "weight": _WEIGHT,
        "agent_id": item.agent_id,
        "segment_id": item.segment_id,
        "user_name": item.author.name,
        "user_email": item.author.email,
        "timestamp": str(item.date_created),
        "url": f"{base}{COMMENTS}/{item.sid}",
    }


def answer_sets(base: str, account_sid: str, found: AnswerSetCatalogue) -> dict[str, Any]:
    return {
        "account_sid": account_sid,
        "answer_sets": [s.to_json() for s in found.answer_sets],
        "answer_set_categories": [c.to_json() for c in found.categories],
        "not_applicable": found.not_applicable.to_json(),
        "url": f"{base}{ANSWER_SETS}",
    }


def comment_tags(base: str, account_sid: str, tags: Any) -> dict[str, Any]:
    return {
        "account_sid": account_sid,
        "comments": [t.to_json() for t in tags],
        "url": f"{base}{COMMENT_TAGS}",
    }


def session(base: str, issued: IssuedSession) -> dict[str, Any]:
    return {
        "workspace_id": issued.workspace_id,
        "session_expiry": iso8601(issued.expires_ms),
        "session_id": issued.token,
        "base_url": f"{base}/",
        "url": f"{base}{SESSION}",
    }


def user_roles(base: str, roles: tuple[str, ...]) -> dict[str, Any]:
    return {"roles": list(roles), "url": f"{base}{USER_ROLES}"}
