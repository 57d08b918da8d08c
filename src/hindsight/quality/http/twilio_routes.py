"""Twilio's Insights Quality Management API, Insights sessions and user roles.

Thin handlers: parse Twilio's form parameters, call one service function, render. They run
in the lean Twilio app (api/twilio_app.py), authenticated with HTTP Basic or an Insights
session token, acting for the whole account as every Twilio credential does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import Params, Unset, or_none
from hindsight.api.insights_twilio import service_viewer
from hindsight.api.routes import Routes
from hindsight.api.taskrouter.common import path_sid
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.quality.offsets import parse_offset
from hindsight.domain.sids import Prefix, is_sid
from hindsight.quality import assessments as assessment_order
from hindsight.quality import catalogue as catalogue_order
from hindsight.quality.assessments import AnswerInput, CommentInput
from hindsight.quality.catalogue import Page
from hindsight.quality.http import twilio_render as render
from hindsight.quality.http.common import quality

T = TypeVar("T")
router = Routes()
# The helper libraries repeat the `Authorization` header argument in list queries; the
# header decides, the copy is ignored.
_LIST = ("Authorization", *paging.PAGING_PARAMS)
# Console users of Flex are `wfo.full_access`; account credentials are the console's.
_ACCOUNT_ROLES = ("wfo.full_access",)


def _page_body(
    request: Request,
    key: str,
    page: Page[T],
    keys: Sequence[Any],
    paged: paging.Paging,
    render_one: Callable[[str, T], dict[str, Any]],
) -> Response:
    """A list's page in Twilio's envelope, each item rendered with the request's base URL."""
    base = wire.base_url(request)
    items = [render_one(base, item) for item in page.items]
    body = paging.envelope(request, base, key, items, page.result, keys, paged)
    return wire.json_response(body)


def _required_sid(params: Params, name: str, prefix: Prefix) -> str:
    params.required(name)
    value = params.sid(name, prefix)
    assert isinstance(value, str)
    return value


def _required_bool(params: Params, name: str) -> bool:
    params.required(name)
    value = params.boolean(name)
    assert isinstance(value, bool)
    return value


def _sids(params: Params, name: str, prefix: Prefix) -> list[str]:
    values = params.many(name)
    for value in values:
        if not is_sid(value, prefix):
            raise InvalidParameter(
                f"{name} must hold SIDs starting with {prefix.value} followed by 32 hex digits, "
                f"got {value[:40]!r}"
            )
    return values


# --- categories -----------------------------------------------------------------------------------


@router.get(render.CATEGORIES)
async def list_categories(request: Request) -> Response:
    params = wire.query_params(request, _LIST)
    paged = paging.parse(params, catalogue_order.CATEGORY_ORDER, "categories")
    viewer = service_viewer(request)
    found = await quality(request).catalogue.categories(viewer, paged.request)
    return _page_body(
        request,
        "categories",
        found,
        catalogue_order.CATEGORY_ORDER,
        paged,
        render.category,
    )


@router.post(render.CATEGORIES)
async def create_category(request: Request) -> Response:
    params = await wire.body_params(request, ("Name",))
    created = await quality(request).catalogue.create_category(
        service_viewer(request), params.required("Name")
    )
    return wire.json_response(render.category(wire.base_url(request), created), status=201)


@router.post(render.CATEGORIES + "/{sid}")
async def update_category(request: Request, sid: str) -> Response:
    sid = path_sid(sid, Prefix.QM_CATEGORY, f"{render.CATEGORIES}/{sid}")
    params = await wire.body_params(request, ("Name",))
    updated = await quality(request).catalogue.update_category(
        service_viewer(request), sid, params.required("Name")
    )
    return wire.json_response(render.category(wire.base_url(request), updated))


@router.delete(render.CATEGORIES + "/{sid}")
async def delete_category(request: Request, sid: str) -> Response:
    sid = path_sid(sid, Prefix.QM_CATEGORY, f"{render.CATEGORIES}/{sid}")
    await quality(request).catalogue.delete_category(service_viewer(request), sid)
    return wire.no_content()


# --- questions ------------------------------------------------------------------------------------


@router.get(render.QUESTIONS)
async def list_questions(request: Request) -> Response:
    params = wire.query_params(request, ("CategorySid", *_LIST))
    categories = _sids(params, "CategorySid", Prefix.QM_CATEGORY)
    paged = paging.parse(params, catalogue_order.QUESTION_ORDER, "questions")
    found = await quality(request).catalogue.questions(
        service_viewer(request), categories, paged.request
    )
    return _page_body(
        request,
        "questions",
        found,
        catalogue_order.QUESTION_ORDER,
        paged,
        render.question,
    )


_QUESTION_FIELDS = ("CategorySid", "Question", "AnswerSetId", "AllowNa", "Description")


@router.post(render.QUESTIONS)
async def create_question(request: Request) -> Response:
    params = await wire.body_params(request, _QUESTION_FIELDS)
    created = await quality(request).catalogue.create_question(
        service_viewer(request),
        category_sid=_required_sid(params, "CategorySid", Prefix.QM_CATEGORY),
        question=params.required("Question"),
        answer_set_id=params.required("AnswerSetId"),
        allow_na=_required_bool(params, "AllowNa"),
        description=or_none(params.text("Description")) or "",
    )
    return wire.json_response(render.question(wire.base_url(request), created), status=201)


@router.post(render.QUESTIONS + "/{sid}")
async def update_question(request: Request, sid: str) -> Response:
    sid = path_sid(sid, Prefix.QM_QUESTION, f"{render.QUESTIONS}/{sid}")
    params = await wire.body_params(request, _QUESTION_FIELDS)
    updated = await quality(request).catalogue.update_question(
        service_viewer(request),
        sid,
        allow_na=_required_bool(params, "AllowNa"),
        category_sid=params.sid("CategorySid", Prefix.QM_CATEGORY),
        question=params.text("Question"),
        description=params.text("Description"),
        answer_set_id=params.text("AnswerSetId"),
    )
    return wire.json_response(render.question(wire.base_url(request), updated))


@router.delete(render.QUESTIONS + "/{sid}")
async def delete_question(request: Request, sid: str) -> Response:
    sid = path_sid(sid, Prefix.QM_QUESTION, f"{render.QUESTIONS}/{sid}")
    await quality(request).catalogue.delete_question(service_viewer(request), sid)
    return wire.no_content()


# --- questionnaires -------------------------------------------------------------------------------


@router.get(render.QUESTIONNAIRES)
async def list_questionnaires(request: Request) -> Response:
    params = wire.query_params(request, ("IncludeInactive", *_LIST))
    include = params.boolean("IncludeInactive")
    paged = paging.parse(
        params, catalogue_order.QUESTIONNAIRE_ORDER, f"questionnaires:{bool(include)}"
    )
    found = await quality(request).catalogue.questionnaires(
        service_viewer(request), bool(include), paged.request
    )
    return _page_body(
        request,
        "questionnaires",
        found,
        catalogue_order.QUESTIONNAIRE_ORDER,
        paged,
        render.questionnaire,
    )


_QUESTIONNAIRE_FIELDS = ("Name", "Description", "Active", "QuestionSids")


@router.post(render.QUESTIONNAIRES)
async def create_questionnaire(request: Request) -> Response:
    params = await wire.body_params(request, _QUESTIONNAIRE_FIELDS)
    active = params.boolean("Active")
    created = await quality(request).catalogue.create_questionnaire(
        service_viewer(request),
        name=params.required("Name"),
        description=or_none(params.text("Description")) or "",
        active=True if isinstance(active, Unset) else active,
        question_sids=_sids(params, "QuestionSids", Prefix.QM_QUESTION),
    )
    return wire.json_response(render.questionnaire(wire.base_url(request), created), status=201)


@router.get(render.QUESTIONNAIRES + "/{sid}")
async def fetch_questionnaire(request: Request, sid: str) -> Response:
    sid = path_sid(sid, Prefix.QM_QUESTIONNAIRE, f"{render.QUESTIONNAIRES}/{sid}")
    wire.query_params(request, ())
    found = await quality(request).catalogue.questionnaire(service_viewer(request), sid)
    return wire.json_response(render.questionnaire(wire.base_url(request), found))


@router.post(render.QUESTIONNAIRES + "/{sid}")
async def update_questionnaire(request: Request, sid: str) -> Response:
    sid = path_sid(sid, Prefix.QM_QUESTIONNAIRE, f"{render.QUESTIONNAIRES}/{sid}")
    params = await wire.body_params(request, _QUESTIONNAIRE_FIELDS)
    question_sids: list[str] | Unset = (
        _sids(params, "QuestionSids", Prefix.QM_QUESTION) if "QuestionSids" in params else Unset()
    )
    updated = await quality(request).catalogue.update_questionnaire(
        service_viewer(request),
        sid,
        active=_required_bool(params, "Active"),
        name=params.text("Name"),
        description=params.text("Description"),
        question_sids=question_sids,
    )
    return wire.json_response(render.questionnaire(wire.base_url(request), updated))


@router.delete(render.QUESTIONNAIRES + "/{sid}")
async def delete_questionnaire(request: Request, sid: str) -> Response:
    sid = path_sid(sid, Prefix.QM_QUESTIONNAIRE, f"{render.QUESTIONNAIRES}/{sid}")
    await quality(request).catalogue.delete_questionnaire(service_viewer(request), sid)
    return wire.no_content()


# --- comments (before assessments: /Assessments/Comments is not an assessment SID) -------------


def _segment_param(params: Params) -> str | None:
    value = or_none(params.text("SegmentId"))
    return value.strip() if value is not None else None


@router.get(render.COMMENTS)
async def list_comments(request: Request) -> Response:
    params = wire.query_params(request, ("SegmentId", "AgentId", *_LIST))
    paged = paging.parse(params, assessment_order.COMMENT_ORDER, "comments")
    found = await quality(request).assessments.comments(
        service_viewer(request),
        _segment_param(params),
        or_none(params.text("AgentId")),
        paged.request,
    )
    return _page_body(
        request,
        "comments",
        found,
        assessment_order.COMMENT_ORDER,
        paged,
        render.comment,
    )


@router.post(render.COMMENTS)
async def create_comment(request: Request) -> Response:
    params = await wire.body_params(
        request, ("CategoryId", "CategoryName", "Comment", "SegmentId", "AgentId", "Offset")
    )
    given = CommentInput(
        segment_id=params.required("SegmentId"),
        agent_id=params.required("AgentId"),
        comment=params.required("Comment"),
        tag_id=params.required("CategoryId"),
        tag_name=params.required("CategoryName"),
        offset=parse_offset(params.required("Offset")),
    )
    created = await quality(request).assessments.comment(service_viewer(request), given)
    return wire.json_response(render.comment(wire.base_url(request), created), status=201)


# --- assessments ----------------------------------------------------------------------------------


@router.get(render.ASSESSMENTS)
async def list_assessments(request: Request) -> Response:
    params = wire.query_params(request, ("SegmentId", *_LIST))
    paged = paging.parse(params, assessment_order.ASSESSMENT_ORDER, "assessments")
    found = await quality(request).assessments.list(
        service_viewer(request), _segment_param(params), paged.request
    )
    return _page_body(
        request,
        "assessments",
        found,
        assessment_order.ASSESSMENT_ORDER,
        paged,
        render.assessment,
    )


_ASSESSMENT_FIELDS = (
    "CategorySid",
    "CategoryName",
    "SegmentId",
    "AgentId",
    "Offset",
    "MetricId",
    "MetricName",
    "AnswerText",
    "AnswerId",
    "QuestionnaireSid",
)


@router.post(render.ASSESSMENTS)
async def create_assessment(request: Request) -> Response:
    params = await wire.body_params(request, _ASSESSMENT_FIELDS)
    answer = AnswerInput(
        question_sid=_required_sid(params, "MetricId", Prefix.QM_QUESTION),
        answer_id=params.required("AnswerId"),
        offset=parse_offset(params.required("Offset")),
        question_name=params.required("MetricName"),
        category_sid=_required_sid(params, "CategorySid", Prefix.QM_CATEGORY),
        category_name=params.required("CategoryName"),
        answer_text=params.required("AnswerText"),
    )
    created = await quality(request).assessments.create(
        service_viewer(request),
        segment_id=params.required("SegmentId"),
        agent_id=params.required("AgentId"),
        questionnaire_sid=_required_sid(params, "QuestionnaireSid", Prefix.QM_QUESTIONNAIRE),
        answer=answer,
    )
    return wire.json_response(render.assessment(wire.base_url(request), created), status=201)


@router.post(render.ASSESSMENTS + "/{sid}")
async def update_assessment(request: Request, sid: str) -> Response:
    sid = path_sid(sid, Prefix.QM_ASSESSMENT, f"{render.ASSESSMENTS}/{sid}")
    params = await wire.body_params(request, ("Offset", "AnswerText", "AnswerId"))
    updated = await quality(request).assessments.update(
        service_viewer(request),
        sid,
        answer_id=params.required("AnswerId"),
        answer_text=params.required("AnswerText"),
        offset=parse_offset(params.required("Offset")),
    )
    return wire.json_response(render.assessment(wire.base_url(request), updated))


# --- settings -------------------------------------------------------------------------------------


@router.get(render.ANSWER_SETS)
async def answer_sets(request: Request) -> Response:
    wire.query_params(request, ())
    viewer = service_viewer(request)
    found = await quality(request).catalogue.answer_sets(viewer)
    return wire.json_response(render.answer_sets(wire.base_url(request), viewer.account_sid, found))


@router.get(render.COMMENT_TAGS)
async def comment_tags(request: Request) -> Response:
    wire.query_params(request, ())
    viewer = service_viewer(request)
    tags = await quality(request).catalogue.comment_tags(viewer)
    return wire.json_response(render.comment_tags(wire.base_url(request), viewer.account_sid, tags))


# --- Insights session and user roles ---------------------------------------------------------


@router.post(render.SESSION)
async def create_session(request: Request) -> Response:
    await wire.body_params(request, ())
    issued = await quality(request).sessions.issue(service_viewer(request))
    return wire.json_response(render.session(wire.base_url(request), issued), status=201)


@router.get(render.USER_ROLES)
async def user_roles(request: Request) -> Response:
    wire.query_params(request, ())
    return wire.json_response(render.user_roles(wire.base_url(request), _ACCOUNT_ROLES))
