"""Conversation search by quality: assessed or not, with which questionnaire, in a score range.

Kept apart from the search's other conditions (store/insights_queries.py) so each grows on its
own; these are correlated with the `conversations` row being searched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists

from hindsight.store.schema import conversations, qm_reviews


@dataclass(frozen=True)
class QualityFilter:
    """`assessed`: has (True) or lacks (False) a submitted assessment, with the questionnaire
    if one is named; a score range implies assessed, by an assessment scoring within it."""

    assessed: bool | None = None
    questionnaire_sid: str | None = None
    score_min: float | None = None
    score_max: float | None = None


def quality_conditions(wanted: QualityFilter) -> list[ColumnElement[bool]]:
    r = qm_reviews.c
    clauses: list[Any] = [
        r.account_sid == conversations.c.account_sid,
        r.conversation_id == conversations.c.conversation_id,
        r.status == "submitted",
    ]
    if wanted.questionnaire_sid is not None:
        clauses.append(r.questionnaire_sid == wanted.questionnaire_sid)
    if wanted.score_min is not None:
        clauses.append(r.score >= wanted.score_min)
    if wanted.score_max is not None:
        clauses.append(r.score <= wanted.score_max)
    review = exists().where(*clauses)
    if wanted.assessed is False:
        return [~review]
    if wanted.assessed or wanted != QualityFilter():
        return [review]
    return []
