"""Hindsight's own quality API, `/api/v1/quality`: what the conversation screen shows and saves.

People use it through their session (with the CSRF header), integrations with HTTP Basic.
JSON in and out; rules live in the services.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from hindsight.api import identity
from hindsight.api.json_io import json_object, json_response
from hindsight.api.quality import views
from hindsight.domain.access import Viewer
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.permissions import Permission
from hindsight.domain.quality.offsets import parse_offset
from hindsight.quality.assessments import AnswerInput, CommentInput
from hindsight.store.keyset import PageRequest

PREFIX = "/api/v1/quality"
_MAX_BODY = 64 * 1024
_MAX_ANSWERS = 200
# Questionnaires offered on the conversation screen: the active ones (a handful in practice).
_OFFERED = PageRequest(size=200)

router = APIRouter(prefix=PREFIX, tags=["quality"])


def _quality(request: Request) -> Any:
    return identity.services(request).quality


def _text(document: dict[str, Any], key: str, required: bool = True) -> str | None:
    value = document.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise InvalidParameter(f"{key} is required (text)")
    return value


def _offset(value: Any, key: str = "offset") -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidParameter(f"{key} must be a number of seconds")
    return parse_offset(str(value), key)


def _answers(raw: Any) -> list[AnswerInput]:
    if not isinstance(raw, list) or len(raw) > _MAX_ANSWERS:
        raise InvalidParameter(f"answers must be a list of at most {_MAX_ANSWERS} answers")
    out = []
    for item in raw:
        if not isinstance(item, dict) or set(item) - {"question_sid", "answer_id", "offset"}:
            raise InvalidParameter("Each answer is {question_sid, answer_id, offset}")
        out.append(
            AnswerInput(
                question_sid=_text(item, "question_sid") or "",
                answer_id=_text(item, "answer_id") or "",
                offset=_offset(item.get("offset")),
            )
        )
    return out


@router.get("/conversations/{conversation_id:path}", summary="Assessments and comments")
async def conversation(
    conversation_id: str, request: Request, viewer: Viewer = Depends(identity.viewer)
) -> Response:
    quality = _quality(request)
    found = await quality.assessments.conversation(viewer, conversation_id)
    can_assess = viewer.can(Permission.ASSESS)
    offered: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    not_applicable = None
    if can_assess:
        page = await quality.catalogue.questionnaires(viewer, False, _OFFERED)
        offered = [views.questionnaire(q) for q in page.items]
        tags = [t.to_json() for t in await quality.catalogue.comment_tags(viewer)]
        not_applicable = (await quality.catalogue.answer_sets(viewer)).not_applicable.to_json()
    return json_response(
        {
            "conversation_id": conversation_id,
            "can_assess": can_assess,
            "reviews": [views.review(r, viewer) for r in found.reviews],
            "comments": [views.comment(c) for c in found.comments],
            "questionnaires": offered,
            "comment_tags": tags,
            "not_applicable": not_applicable,
        }
    )


@router.post("/reviews", summary="Save (or submit) your assessment of a segment")
async def save_review(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    document = await json_object(
        request, _MAX_BODY, {"segment_id", "questionnaire_sid", "answers", "submit"}
    )
    submit = document.get("submit", False)
    if not isinstance(submit, bool):
        raise InvalidParameter("submit must be true or false")
    saved = await _quality(request).assessments.save_review(
        viewer,
        _text(document, "segment_id") or "",
        _text(document, "questionnaire_sid") or "",
        _answers(document.get("answers", [])),
        submit,
    )
    return json_response(views.review(saved, viewer))


@router.post("/comments", summary="Comment on a moment of a segment")
async def create_comment(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    document = await json_object(
        request, _MAX_BODY, {"segment_id", "comment", "tag_id", "offset", "message_index"}
    )
    index = document.get("message_index")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
        raise InvalidParameter("message_index must be an integer")
    created = await _quality(request).assessments.comment(
        viewer,
        CommentInput(
            segment_id=_text(document, "segment_id") or "",
            agent_id=None,
            comment=_text(document, "comment") or "",
            tag_id=_text(document, "tag_id") or "",
            tag_name=None,
            offset=_offset(document.get("offset")),
            message_index=index,
        ),
    )
    return json_response(views.comment(created), status=201)
