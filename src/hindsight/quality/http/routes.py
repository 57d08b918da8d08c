"""Hindsight's own quality API, `/api/v1/quality`: what the conversation screen shows and saves.

People use it through their session (with the CSRF header), integrations with HTTP Basic.
JSON in and out; rules live in the services.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from hindsight.api import identity, kit
from hindsight.api.json_io import json_object, json_response
from hindsight.domain.access import Viewer
from hindsight.domain.csv_export import CsvWriter
from hindsight.domain.errors import InvalidParameter, NotFound
from hindsight.domain.paging import PageRequest
from hindsight.domain.permissions import Permission
from hindsight.domain.quality.offsets import parse_offset
from hindsight.domain.record_fields import fields_of
from hindsight.domain.sids import Prefix, is_sid
from hindsight.domain.timefmt import parse_iso8601
from hindsight.domain.unset import UNSET, Unset
from hindsight.quality.assessments import AnswerInput, CommentInput
from hindsight.quality.http import views
from hindsight.quality.http.common import quality
from hindsight.quality.reports import Assessed, QualityReport, ReportFilters, ReportRow

PREFIX = "/api/v1/quality"
_MAX_BODY = 64 * 1024
_MAX_ANSWERS = 200
# Questionnaires offered on the conversation screen: the active ones (a handful in practice).
_OFFERED = PageRequest(size=200)

router = APIRouter(prefix=PREFIX, tags=["quality"])


def _query(*names: str) -> dict[str, Any]:
    """The query parameters a handler reads itself, for the OpenAPI document (all optional
    text; the handler checks them and answers 400)."""
    return {
        "parameters": [
            {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
            for name in names
        ]
    }


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
    feature = quality(request)
    found = await feature.assessments.conversation(viewer, conversation_id)
    can_assess = viewer.can(Permission.ASSESS)
    offered: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    not_applicable = None
    if can_assess:
        page = await feature.catalogue.questionnaires(viewer, False, _OFFERED)
        offered = [views.questionnaire(q) for q in page.items]
        tags = [t.to_json() for t in await feature.catalogue.comment_tags(viewer)]
        not_applicable = (await feature.catalogue.answer_sets(viewer)).not_applicable.to_json()
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
    saved = await quality(request).assessments.save_review(
        viewer,
        _text(document, "segment_id") or "",
        _text(document, "questionnaire_sid") or "",
        _answers(document.get("answers", [])),
        submit,
    )
    return json_response(views.review(saved, viewer))


@router.post("/comments", status_code=201, summary="Comment on a moment of a segment")
async def create_comment(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    document = await json_object(
        request, _MAX_BODY, {"segment_id", "comment", "tag_id", "offset", "message_index"}
    )
    index = document.get("message_index")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
        raise InvalidParameter("message_index must be an integer")
    created = await quality(request).assessments.comment(
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


# --- the questionnaire editor --------------------------------------------------------------------

_ALL = PageRequest(size=1000)


def _flag(document: dict[str, Any], key: str, default: bool | None = None) -> bool:
    value = document.get(key, default)
    if not isinstance(value, bool):
        raise InvalidParameter(f"{key} must be true or false")
    return value


def _optional_text(document: dict[str, Any], key: str) -> str | Unset:
    if key not in document:
        return UNSET
    value = document[key]
    if not isinstance(value, str):
        raise InvalidParameter(f"{key} must be text")
    return value


def _sid_list(document: dict[str, Any], key: str) -> list[str]:
    value = document.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidParameter(f"{key} must be a list of SIDs")
    return value


@router.get("/catalogue", summary="Categories, questions, questionnaires and answer sets")
async def catalogue(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    found = quality(request).catalogue
    categories = await found.categories(viewer, _ALL)
    questions = await found.questions(viewer, (), _ALL)
    questionnaires = await found.questionnaires(viewer, True, _ALL)
    sets = await found.answer_sets(viewer)
    return json_response(
        {
            "can_edit": viewer.can(Permission.QUESTIONNAIRES),
            "categories": [{"sid": c.sid, "name": c.name} for c in categories.items],
            "questions": [views.question(q) for q in questions.items],
            "questionnaires": [views.questionnaire(q) for q in questionnaires.items],
            "answer_sets": [views.answer_set(s) for s in sets.answer_sets],
            "not_applicable": sets.not_applicable.to_json(),
        }
    )


@router.post("/categories", status_code=201, summary="A new category of questions")
async def create_category(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    document = await json_object(request, _MAX_BODY, {"name"})
    made = await quality(request).catalogue.create_category(viewer, _text(document, "name") or "")
    return json_response({"sid": made.sid, "name": made.name}, status=201)


_QUESTION_KEYS = {"category_sid", "question", "description", "answer_set_id", "allow_na"}


@router.post("/questions", status_code=201, summary="A new question")
async def create_question(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    document = await json_object(request, _MAX_BODY, _QUESTION_KEYS)
    made = await quality(request).catalogue.create_question(
        viewer,
        category_sid=_text(document, "category_sid") or "",
        question=_text(document, "question") or "",
        answer_set_id=_text(document, "answer_set_id") or "",
        allow_na=_flag(document, "allow_na", False),
        description=_text(document, "description", required=False) or "",
    )
    return json_response(views.question(made), status=201)


@router.post("/questions/{sid}", summary="Change a question")
async def update_question(
    sid: str, request: Request, viewer: Viewer = Depends(identity.viewer)
) -> Response:
    document = await json_object(request, _MAX_BODY, _QUESTION_KEYS)
    changed = await quality(request).catalogue.update_question(
        viewer,
        _path_sid(sid, Prefix.QM_QUESTION),
        allow_na=_flag(document, "allow_na"),
        category_sid=_optional_text(document, "category_sid"),
        question=_optional_text(document, "question"),
        description=_optional_text(document, "description"),
        answer_set_id=_optional_text(document, "answer_set_id"),
    )
    return json_response(views.question(changed))


_QUESTIONNAIRE_KEYS = {"name", "description", "active", "question_sids"}


@router.post("/questionnaires", status_code=201, summary="A new questionnaire")
async def create_questionnaire(
    request: Request, viewer: Viewer = Depends(identity.viewer)
) -> Response:
    document = await json_object(request, _MAX_BODY, _QUESTIONNAIRE_KEYS)
    made = await quality(request).catalogue.create_questionnaire(
        viewer,
        name=_text(document, "name") or "",
        description=_text(document, "description", required=False) or "",
        active=_flag(document, "active", True),
        question_sids=_sid_list(document, "question_sids"),
    )
    return json_response(views.questionnaire(made), status=201)


@router.post("/questionnaires/{sid}", summary="Change, reorder, activate or deactivate")
async def update_questionnaire(
    sid: str, request: Request, viewer: Viewer = Depends(identity.viewer)
) -> Response:
    document = await json_object(request, _MAX_BODY, _QUESTIONNAIRE_KEYS)
    changed = await quality(request).catalogue.update_questionnaire(
        viewer,
        _path_sid(sid, Prefix.QM_QUESTIONNAIRE),
        active=_flag(document, "active"),
        name=_optional_text(document, "name"),
        description=_optional_text(document, "description"),
        question_sids=_sid_list(document, "question_sids")
        if "question_sids" in document
        else UNSET,
    )
    return json_response(views.questionnaire(changed))


@router.post("/answer-sets", status_code=201, summary="An answer set of the account's own")
async def create_answer_set(
    request: Request, viewer: Viewer = Depends(identity.viewer)
) -> Response:
    document = await json_object(request, _MAX_BODY, {"name", "answers"})
    answers = document.get("answers")
    if not isinstance(answers, list):
        raise InvalidParameter("answers must be a list of {name, score, description}")
    made = await quality(request).catalogue.add_answer_set(
        viewer, _text(document, "name") or "", answers
    )
    return json_response(views.answer_set(made), status=201)


def _path_sid(value: str, prefix: Prefix) -> str:
    if not is_sid(value, prefix):
        raise NotFound(f"No {prefix.name.lower().removeprefix('qm_')} {value[:40]!r}")
    return value


# --- the quality report, its drill-down and export, and sampling ---------------------------------

_REPORT_PARAMS = ("group_by", "from", "to", "questionnaire_sid", "agent_id", "queue")
_SAMPLE_PARAMS = ("from", "to", "days", "per_agent")


def _only(request: Request, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise InvalidParameter(f"Unknown parameter {unknown[0]!r}; allowed: {', '.join(allowed)}")


def report_filters(request: Request) -> ReportFilters:
    """The report's filters from the query string (shared with the report page)."""
    query = request.query_params

    def instant(name: str) -> int | None:
        value = query.get(name)
        return parse_iso8601(value, name) if value else None

    def text(name: str) -> str | None:
        value = query.get(name)
        if value is not None and len(value) > 200:
            raise InvalidParameter(f"{name} is at most 200 characters")
        return value or None

    return ReportFilters(
        start_ms=instant("from"),
        end_ms=instant("to"),
        questionnaire_sid=text("questionnaire_sid"),
        agent_id=text("agent_id"),
        queue=text("queue"),
    )


def report_json(found: QualityReport) -> dict[str, Any]:
    def row(item: ReportRow) -> dict[str, Any]:
        return fields_of(item, "group", "label", "assessments", "average")

    return {
        "group_by": found.group_by,
        "rows": [row(r) for r in found.rows],
        "total": row(found.total),
    }


@router.get(
    "/report",
    openapi_extra=_query(*_REPORT_PARAMS),
    summary="Assessments and average score by agent, queue, …",
)
async def report(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    _only(request, _REPORT_PARAMS)
    group_by = request.query_params.get("group_by", "agent")
    found = await quality(request).reports.report(viewer, report_filters(request), group_by)
    return json_response(report_json(found))


@router.get(
    "/report.csv", openapi_extra=_query(*_REPORT_PARAMS), summary="The quality report as CSV"
)
async def report_csv(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    _only(request, _REPORT_PARAMS)
    group_by = request.query_params.get("group_by", "agent")
    filters = report_filters(request)
    reports = quality(request).reports
    await reports.start_export(viewer, filters, group_by)
    found = await reports.report(viewer, filters, group_by)
    writer = CsvWriter((group_by, "label", "assessments", "average_score"))
    for item in [*found.rows, found.total]:
        writer.write(
            {
                group_by: item.group,
                "label": item.label,
                "assessments": item.assessments,
                "average_score": item.average,
            }
        )
    return kit.csv_attachment(writer.take(), "quality-report.csv")


def drill_value(group_by: str | None, raw: str | None) -> str | int | None:
    if group_by == "day":
        if raw is None or not raw.isdigit() or len(raw) > 15:
            raise InvalidParameter("value is a day's start in epoch milliseconds")
        return int(raw)
    return raw


def assessed_json(item: Assessed) -> dict[str, Any]:
    return {
        **fields_of(item, "review_sid", "conversation_id", "segment_id", "agent_id", "agent_name"),
        "queue": item.queue_name,
        "questionnaire": item.questionnaire_name,
        "author": item.author_name,
        "score": item.score,
        "submitted_ms": item.submitted_ms,
    }


@router.get(
    "/assessed",
    openapi_extra=_query(*_REPORT_PARAMS, "value"),
    summary="The assessed conversations behind a row of the report",
)
async def assessed(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    _only(request, (*_REPORT_PARAMS, "value"))
    group_by = request.query_params.get("group_by")
    value = drill_value(group_by, request.query_params.get("value"))
    found = await quality(request).reports.assessed(
        viewer, report_filters(request), group_by, value
    )
    return json_response({"assessments": [assessed_json(a) for a in found]})


def sample_period(request: Request, now_ms: int) -> tuple[int, int, int]:
    """(start, end, per agent) of a sample: `from`/`to`, else the last `days` (7) days."""
    query = request.query_params
    try:
        per_agent = int(query.get("per_agent", "2"))
        days = int(query.get("days", "7"))
    except ValueError:
        raise InvalidParameter("per_agent and days are whole numbers") from None
    end = parse_iso8601(query["to"], "to") if query.get("to") else now_ms
    start = parse_iso8601(query["from"], "from") if query.get("from") else end - days * 86_400_000
    return start, end, per_agent


@router.get(
    "/sample",
    openapi_extra=_query(*_SAMPLE_PARAMS),
    summary="Random unassessed conversations per agent in a period",
)
async def sample(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    _only(request, _SAMPLE_PARAMS)
    start, end, per_agent = sample_period(request, identity.services(request).clock.now_ms())
    found = await quality(request).reports.sample(viewer, start, end, per_agent)
    return json_response(
        {
            "from_ms": start,
            "to_ms": end,
            "sample": [
                {
                    "conversation_id": s.conversation_id,
                    "segment_id": s.segment_id,
                    "agent_id": s.agent_id,
                    "agent_name": s.agent_name,
                    "queue": s.queue_name,
                    "start_ms": s.start_ms,
                }
                for s in found
            ],
        }
    )


# --- agents reading their own assessments --------------------------------------------------------


@router.get("/settings", summary="Whether agents read their own assessments (admins)")
async def settings(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    enabled = await quality(request).agents.setting(viewer)
    return json_response({"agents_see_assessments": enabled})


@router.post("/settings", summary="Let agents read their own assessments, or not (admins)")
async def set_settings(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    document = await json_object(request, _MAX_BODY, {"agents_see_assessments"})
    enabled = await quality(request).agents.set_setting(
        viewer, _flag(document, "agents_see_assessments")
    )
    return json_response({"agents_see_assessments": enabled})


@router.post("/agent-links", summary="Which agent a person is (admins); agent_id null unlinks")
async def agent_link(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    document = await json_object(request, _MAX_BODY, {"user_sid", "agent_id"})
    agent_id = _text(document, "agent_id", required=False)
    user_sid = _text(document, "user_sid") or ""
    await quality(request).agents.link(viewer, user_sid, agent_id)
    return json_response({"user_sid": user_sid, "agent_id": agent_id})


@router.get("/mine", summary="Your own submitted assessments (agents, when enabled)")
async def mine(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    found = await quality(request).agents.mine(viewer)
    return json_response(
        {
            "agent_id": found.agent_id,
            "reviews": [
                {**views.review(r, viewer), "acknowledged_ms": r.acknowledged_ms}
                for r in found.reviews
            ],
            "comments": [views.comment(c) for c in found.comments],
        }
    )


@router.post("/mine/{review_sid}/acknowledge", summary="Acknowledge one of your assessments")
async def acknowledge(
    review_sid: str, request: Request, viewer: Viewer = Depends(identity.viewer)
) -> Response:
    await quality(request).agents.acknowledge(viewer, review_sid)
    return json_response({"review_sid": review_sid, "acknowledged": True})
