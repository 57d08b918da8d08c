"""Twilio's Flex Insights read API: /v1/Insights/Segments and /v1/Insights/Conversations.

The field names are Twilio's; a field the projection has no value for is null (agent and
customer links are not kept); a segment's latest submitted assessment gives `assessment_type`
(its questionnaire) and `assessment_percentage` (its score). Twilio passes a Flex token in an
`Authorization` (or `Token`) parameter; Hindsight authenticates with Basic auth like the rest
of the Twilio API, so those parameters are accepted and ignored.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import Params, or_none
from hindsight.api.routes import Routes
from hindsight.api.taskrouter.common import caller, list_response, services
from hindsight.domain.access import Viewer
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.sids import Prefix, is_sid
from hindsight.domain.timefmt import iso8601
from hindsight.insights.queries import (
    CONVERSATION_ORDER,
    SEGMENT_ORDER,
    is_segment_id,
    segment_record,
)

router = Routes()
SEGMENTS = "/v1/Insights/Segments"
CONVERSATIONS = "/v1/Insights/Conversations"
# What Twilio's helper libraries may send besides the filters.
_FLEX_TOKEN_PARAMS = ("Authorization", "Token")


def _segment_id(params: Params) -> str | None:
    value = or_none(params.text("SegmentId"))
    if value is not None and not is_segment_id(value):
        raise InvalidParameter(
            f"SegmentId must be SG followed by 32 lower-case hex digits, got {value!r}"
        )
    return value


def _reservation_ids(params: Params) -> list[str]:
    values = params.many("ReservationId")
    for value in values:
        if not is_sid(value, Prefix.RESERVATION):
            raise InvalidParameter(
                f"ReservationId must be a SID starting with WR followed by 32 hex digits, "
                f"got {value!r}"
            )
    return values


def _offset(measures: dict[str, Any]) -> str | None:
    value = measures.get("segment_recording_offset")
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


def _recording_link(record: dict[str, Any]) -> str | None:
    link = record["attributes"].get("segment_link")
    if link:
        return link
    playable = [m for m in record["media"] if m.get("playable") and m.get("url")]
    return playable[0]["url"] if playable else None


def _customer_phone(record: dict[str, Any]) -> str | None:
    phone = record["customer"].get("phone")
    if phone:
        return phone
    key = record["customer_key"] or ""
    return key.split(":", 1)[1] if key.startswith("address:") else None


def segment(
    base: str, record: dict[str, Any], assessed: tuple[str, float | None] | None = None
) -> dict[str, Any]:
    """A segment in Twilio's field names; `assessed`: its latest submitted assessment
    (questionnaire name, score in percent)."""
    worker = record["worker"] if isinstance(record["worker"], dict) else {}
    attributes = record["attributes"]
    customer = record["customer"]
    return {
        "segment_id": record["segment_id"],
        "external_id": record["conversation_id"],
        "queue": record["queue_name"],
        "external_contact": attributes.get("external_contact"),
        "external_segment_link_id": None,
        "date": iso8601(record["start_ms"]),
        "account_id": record["account_sid"],
        "external_segment_link": _recording_link(record),
        "agent_id": _text(worker.get("agent_id")) or record["worker_sid"],
        "agent_phone": _text(worker.get("phone")),
        "agent_name": record["agent_name"] or _text(worker.get("full_name")),
        "agent_team_name": _team(record, worker, "team_name", record["handling_team_name"]),
        "agent_team_name_in_hierarchy": _team(
            record,
            worker,
            "team_name_in_hierarchy",
            attributes.get("handling_team_name_in_hierarchy"),
        ),
        "agent_link": None,
        "customer_phone": _customer_phone(record),
        "customer_name": customer.get("name"),
        "customer_link": customer.get("customer_link"),
        "segment_recording_offset": _offset(record["measures"]),
        "media": record["media"],
        "assessment_type": assessed[0] if assessed else None,
        "assessment_percentage": assessed[1] if assessed else None,
        "url": f"{base}{SEGMENTS}?{urlencode({'SegmentId': record['segment_id']})}",
    }


def _team(record: dict[str, Any], worker: dict[str, Any], key: str, handling: Any) -> Any:
    """The agent's team from its attributes, else the handling team; none without an agent."""
    if record["worker_sid"] is None:
        return None
    return _text(worker.get(key)) or handling


def _text(value: Any) -> str | None:
    return None if value is None or isinstance(value, dict | list) else str(value)


def service_viewer(request: Request) -> Viewer:
    """Twilio's Insights API is read with account credentials: the whole account."""
    who = caller(request)
    return Viewer.service(who.account_sid, who.principal.credential_sid, who.ip)


@router.get(SEGMENTS)
async def list_segments(request: Request) -> Response:
    params = wire.query_params(
        request, ("SegmentId", "ReservationId", *_FLEX_TOKEN_PARAMS, *paging.PAGING_PARAMS)
    )
    segment_id = _segment_id(params)
    reservations = _reservation_ids(params)
    page = paging.parse(params, SEGMENT_ORDER, "segments")
    result = await services(request).insights.segments(
        service_viewer(request), segment_id, reservations, page.request
    )
    base = wire.base_url(request)
    scores = await services(request).quality.assessments.segment_scores(
        service_viewer(request), [row.segment_id for row in result.rows]
    )
    return list_response(
        request,
        "segments",
        result,
        SEGMENT_ORDER,
        page,
        lambda row: segment(base, segment_record(row), scores.get(row.segment_id)),
    )


@router.get(CONVERSATIONS)
async def list_conversations(request: Request) -> Response:
    params = wire.query_params(request, ("SegmentId", *_FLEX_TOKEN_PARAMS, *paging.PAGING_PARAMS))
    segment_id = _segment_id(params)
    page = paging.parse(params, CONVERSATION_ORDER, "conversations")
    result, members = await services(request).insights.conversations_with_segments(
        service_viewer(request), segment_id, page.request
    )
    base = wire.base_url(request)
    scores = await services(request).quality.assessments.segment_scores(
        service_viewer(request), [s["segment_id"] for listed in members.values() for s in listed]
    )

    def render(row: Any) -> dict[str, Any]:
        listed = members.get(row.conversation_id, [])
        return {
            "account_id": row.account_sid,
            "conversation_id": row.conversation_id,
            "segment_count": row.segment_count,
            "segments": [segment(base, s, scores.get(s["segment_id"])) for s in listed],
        }

    return list_response(request, "conversations", result, CONVERSATION_ORDER, page, render)
