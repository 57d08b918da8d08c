"""Hindsight's own Insights API for the reporting UI, under /api/v1/insights.

Search conversations, open one (by id, or drill down by segment, task or reservation),
aggregate, and export a search as CSV. Everything here is personal data: every answer says
`Cache-Control: no-store`, and nothing is read without the account's credentials.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response, StreamingResponse

from hindsight import __version__
from hindsight.api import identity, kit
from hindsight.api import insights_models as models
from hindsight.api.openapi_document import api_document
from hindsight.domain.access import Viewer
from hindsight.domain.csv_export import CsvWriter
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.search import customer as customer_search
from hindsight.domain.search import filter_keys, text_query
from hindsight.domain.search.snippet import Snippet
from hindsight.domain.sids import Prefix, is_sid
from hindsight.domain.timefmt import parse_iso8601
from hindsight.insights.queries import (
    AggregateRow,
    ConversationDetail,
    ConversationFilters,
    ConversationSort,
    conversation_record,
    is_segment_id,
)
from hindsight.search.annotations import Annotation

PREFIX = "/api/v1/insights"
FILTER_PARAMS = (
    *("start", "end", "workspace_sid"),
    *filter_keys.DIMENSIONS,
    *filter_keys.FLAGS,
    *filter_keys.TEXT,
    *filter_keys.QUALITY,
    *filter_keys.DURATIONS,
)
SORT_PARAMS = ("sort", "order")
PAGE_PARAMS = ("page_size", "page_token")
CSV_COLUMNS = (
    "conversation_id",
    "workspace_sid",
    "start",
    "end",
    "segment_count",
    "queue",
    "agent",
    "channel",
    "direction",
    "outcome",
    "abandoned",
    "handled",
    "in_progress",
    "has_media",
    "queue_time",
    "talk_time",
    "wrap_up_time",
    "handling_time",
    "abandon_time",
    "handling_team",
    "customer_key",
)


router = APIRouter(prefix=PREFIX, tags=["insights"], dependencies=[Depends(kit.no_store)])


# --- parameters -----------------------------------------------------------------------------


def _instant_param(value: str | None, name: str) -> int | None:
    return None if value is None else parse_iso8601(value, name)


def conversation_filters(
    request: Request,
    start: str | None = Query(
        None, description="ISO 8601; conversations starting at or after this instant."
    ),
    end: str | None = Query(None, description="ISO 8601; conversations starting before it."),
    workspace_sid: str | None = Query(None, description="WS…"),
    queue: str | None = Query(None, description="Any segment was in this queue (name)."),
    agent: str | None = Query(None, description="Any segment was with this agent (name)."),
    team: str | None = Query(None, description="Any segment was handled by this team (name)."),
    channel: str | None = Query(None, description="Task channel, e.g. voice, chat."),
    direction: str | None = Query(None),
    outcome: str | None = Query(None),
    abandoned: bool | None = Query(None),
    handled: bool | None = Query(None),
    has_media: bool | None = Query(None),
    in_progress: bool | None = Query(None),
    q: str | None = Query(
        None,
        max_length=text_query.MAX_LENGTH,
        description='Words, prefixes and "quoted phrases", found in the attributes, media '
        "titles, customer and (for people who may open them) chat transcripts.",
    ),
    customer: str | None = Query(
        None,
        max_length=customer_search.MAX_LENGTH,
        description="The customer's phone number (any format), e-mail, name or id.",
    ),
) -> ConversationFilters:
    """The search filters; also `attribute.<key>=<value>` for conversation attributes."""
    return kit.conversation_filters(
        request.query_params,
        start_ms=_instant_param(start, "start"),
        end_ms=_instant_param(end, "end"),
        workspace_sid=workspace_sid,
        attributes=kit.attribute_filters(request),
        flags={
            "abandoned": abandoned,
            "handled": handled,
            "has_media": has_media,
            "in_progress": in_progress,
        },
    )


SortField = Literal["start", "talk_time", "handling_time", "queue_time"]


def conversation_sort(
    sort: SortField = Query("start", description="What to sort by."),
    order: Literal["asc", "desc"] = Query("desc"),
) -> ConversationSort:
    return ConversationSort(field=sort, descending=order == "desc")


# --- rendering ------------------------------------------------------------------------------


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "conversation_id": record["conversation_id"],
        "workspace_sid": record["workspace_sid"],
        "start": kit.instant(record["start_ms"]),
        "end": kit.instant(record["end_ms"]),
        "segment_count": record["segment_count"],
        "queue": record["queue"],
        "agent": record["agent"],
        "channel": record["channel"],
        "direction": record["direction"],
        "outcome": record["outcome"],
        "abandoned": bool(record["abandoned"]),
        "handled": bool(record["handled"]),
        "in_progress": bool(record["in_progress"]),
        "has_media": bool(record["has_media"]),
        "queue_time": record["queue_time"],
        "talk_time": record["talk_time"],
        "wrap_up_time": record["wrap_up_time"],
        "handling_time": record["handling_time"],
        "abandon_time": record["abandon_time"],
        "handling_team": record["handling_team"],
        "customer_key": record["customer_key"],
        "customer": record.get("customer"),
        "attributes": record["attributes"],
    }


def _snippet(found: Snippet | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"source": found.source, "text": found.text, "highlights": found.highlights}


def _hit(record: dict[str, Any], note: Annotation | None) -> dict[str, Any]:
    summary = _summary(record)
    summary["customer"] = note.customer if note else None
    summary["snippet"] = _snippet(note.snippet) if note else None
    return summary


def _segment(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "segment_id": record["segment_id"],
        "kind": record["kind"],
        "task_sid": record["task_sid"],
        "reservation_sid": record["reservation_sid"],
        "worker_sid": record["worker_sid"],
        "agent_name": record["agent_name"],
        "queue_sid": record["queue_sid"],
        "queue": record["queue_name"],
        "channel": record["channel"],
        "workflow": record["workflow"],
        "direction": record["direction"],
        "start": kit.instant(record["start_ms"]),
        "end": kit.instant(record["end_ms"]),
        "measures": {
            name: record[name]
            for name in (
                "queue_time",
                "ring_time",
                "talk_time",
                "wrap_up_time",
                "hold_time",
                "abandon_time",
                "handling_time",
            )
        },
        "custom_measures": record["measures"],
        "abandoned": record["abandoned"],
        "abandoned_phase": record["abandoned_phase"],
        "outcome": record["outcome"],
        "handling_team_id": record["handling_team_id"],
        "handling_team_name": record["handling_team_name"],
        "customer": record["customer"],
        "attributes": record["attributes"],
        "media_level": record["media_level"],
        "media": record["media"],
        "media_problems": record["media_problems"],
        "opens_externally": bool(record["opens_externally"]),
        "external_url": record["external_url"],
        "late_media": record["media_late_ms"] is not None,
        "media_late_at": kit.instant(record["media_late_ms"]),
        "ignored_attributes": record["ignored"],
    }


def _detail(detail: ConversationDetail) -> dict[str, Any]:
    return {
        **_summary(detail.conversation),
        "late_media": detail.late_media,
        "segments": [_segment(s) for s in detail.segments],
    }


def _group_label(group_by: str, value: Any) -> str | None:
    if value is None:
        return None
    if group_by == "day":
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC).strftime("%Y-%m-%d")
    if group_by == "hour":
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC).strftime("%Y-%m-%dT%H:00:00Z")
    return str(value)


def _aggregate(group_by: str, row: AggregateRow) -> dict[str, Any]:
    return {
        "group": _group_label(group_by, row.group),
        "volume": row.volume,
        "handled": row.handled,
        "abandoned": row.abandoned,
        "avg_queue_time": row.avg_queue_time,
        "avg_talk_time": row.avg_talk_time,
        "avg_wrap_up_time": row.avg_wrap_up_time,
        "avg_handling_time": row.avg_handling_time,
        "service_level": row.service_level,
    }


# --- endpoints ------------------------------------------------------------------------------


@router.get(
    "/conversations",
    response_model=models.ConversationPage,
    summary="Search conversations",
    description="Filters combine with AND. `attribute.<key>=<value>` (repeatable with different "
    "keys) matches a reportable conversation attribute exactly. Pages are keyset pages: follow "
    "`next_page_token`.",
)
async def search(
    request: Request,
    viewer: Viewer = Depends(identity.viewer),
    filters: ConversationFilters = Depends(conversation_filters),
    sort: ConversationSort = Depends(conversation_sort),
    page_size: int = Query(50, ge=1, le=1000),
    page_token: str | None = Query(None),
    with_total: bool = Query(
        False,
        description="Also count the matches (`meta.total`, up to 10,000; `meta.total_capped` "
        "says there are more).",
    ),
) -> dict[str, Any]:
    kit.only(request, (*FILTER_PARAMS, *SORT_PARAMS, *PAGE_PARAMS, "with_total"), attributes=True)
    page = kit.page_request(page_token, page_size, sort.keys, sort.ordering)
    insights = kit.services(request).insights
    result = await insights.search(viewer, filters, sort, page)
    notes = await insights.annotations(viewer, filters, result.rows)
    records = [_hit(conversation_record(r), notes.get(r.conversation_id)) for r in result.rows]
    meta = kit.page_meta(request, result, sort.keys, sort.ordering, page_size)
    total = await insights.count(viewer, filters) if with_total else None
    meta["total"] = None if total is None else total.conversations
    meta["total_capped"] = None if total is None else total.more
    return {"conversations": records, "meta": meta}


@router.get(
    "/pick-lists",
    summary="Values for the search form's pick lists",
    description="The queues, agents, teams, outcomes and channels of the conversations the "
    "caller may see (at most 500 of each, sorted case-insensitively). Filters match these "
    "values whatever the case typed.",
)
async def pick_lists(
    request: Request, viewer: Viewer = Depends(identity.viewer)
) -> dict[str, list[str]]:
    kit.only(request, ())
    return await kit.services(request).insights.pick_lists(viewer)


@router.get(
    "/conversations.csv",
    summary="Export a conversation search as CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "A header row, then rows."}},
)
async def export_csv(
    request: Request,
    viewer: Viewer = Depends(identity.viewer),
    filters: ConversationFilters = Depends(conversation_filters),
    sort: ConversationSort = Depends(conversation_sort),
) -> Response:
    kit.only(request, (*FILTER_PARAMS, *SORT_PARAMS), attributes=True)
    await kit.services(request).insights.start_export(viewer, filters)
    pages = kit.services(request).insights.export(viewer, filters, sort)

    async def body() -> AsyncIterator[str]:
        writer = CsvWriter(CSV_COLUMNS)
        yield writer.take()
        async for page in pages:
            for record in page:
                row = {**record, "start": kit.instant(record["start_ms"])}
                row["end"] = kit.instant(record["end_ms"])
                writer.write(row)
            yield writer.take()

    return kit.csv_attachment(body(), "conversations.csv")


@router.get(
    "/conversations/{conversation_id:path}",
    response_model=models.ConversationDetail,
    summary="One conversation with its segments and their media",
)
async def conversation(
    request: Request, conversation_id: str, viewer: Viewer = Depends(identity.viewer)
) -> dict[str, Any]:
    kit.only(request, ())
    detail = await kit.services(request).insights.conversation(viewer, conversation_id)
    return _detail(detail)


@router.get(
    "/drilldown",
    response_model=models.Drilldown,
    summary="Open a segment by segment id, task SID or reservation SID",
    description="Give exactly one of segment_id, task_sid, reservation_sid and "
    "conversation_id (its main segment: the last one with an agent). When the "
    "segment's first media item is Raw, the answer is `open_externally` with its URL.",
)
async def drilldown(
    request: Request,
    viewer: Viewer = Depends(identity.viewer),
    segment_id: str | None = Query(None, description="SG…"),
    task_sid: str | None = Query(None, description="WT…"),
    reservation_sid: str | None = Query(None, description="WR…"),
    conversation_id: str | None = Query(
        None, max_length=128, description="A conversation: its main segment."
    ),
) -> dict[str, Any]:
    kit.only(request, ("segment_id", "task_sid", "reservation_sid", "conversation_id"))
    if segment_id is not None and not is_segment_id(segment_id):
        raise InvalidParameter(f"segment_id must be SG followed by 32 hex digits: {segment_id!r}")
    for name, value, prefix in (
        ("task_sid", task_sid, Prefix.TASK),
        ("reservation_sid", reservation_sid, Prefix.RESERVATION),
    ):
        if value is not None and not is_sid(value, prefix):
            raise InvalidParameter(f"{name} must be {prefix.value} followed by 32 hex digits")
    found = await kit.services(request).insights.drilldown(
        viewer,
        segment_id=segment_id,
        task_sid=task_sid,
        reservation_sid=reservation_sid,
        conversation_id=conversation_id,
    )
    answer = {
        "conversation_id": found.detail.conversation["conversation_id"],
        "segment_id": found.selected["segment_id"],
    }
    if found.opens_externally:
        # People get no URL: they open media index 0 through a media link.
        return {
            **answer,
            "action": "open_externally",
            "url": found.selected["external_url"],
            "media_index": 0,
            "conversation": None,
        }
    return {
        **answer,
        "action": "conversation_screen",
        "url": None,
        "media_index": None,
        "conversation": _detail(found.detail),
    }


@router.get(
    "/aggregates",
    response_model=models.Aggregates,
    summary="Volume, handled, abandoned and average times, grouped",
    description="Takes the search filters. Days and hours are UTC.",
)
async def aggregates(
    request: Request,
    viewer: Viewer = Depends(identity.viewer),
    filters: ConversationFilters = Depends(conversation_filters),
    group_by: Literal["day", "hour", "queue", "agent", "channel"] = Query("day"),
    service_level_seconds: int = Query(
        20, ge=1, le=3600, description="Handled within this queue time counts as in time."
    ),
) -> dict[str, Any]:
    kit.only(request, (*FILTER_PARAMS, "group_by", "service_level_seconds"), attributes=True)
    result = await kit.services(request).insights.aggregates(
        viewer, filters, group_by, service_level_seconds
    )
    return {
        "group_by": group_by,
        "groups": [_aggregate(group_by, g) for g in result.groups],
        "total": _aggregate(group_by, result.total),
    }


# --- the OpenAPI description of this API --------------------------------------------------

openapi_router = APIRouter()


@openapi_router.get("/api/openapi.json", include_in_schema=False)
async def openapi(request: Request) -> Response:
    cached = getattr(request.app.state, "api_openapi", None)
    if cached is None:
        cached = orjson.dumps(
            api_document(
                "Hindsight API",
                __version__,
                # The composition root lists every router of Hindsight's own JSON API.
                getattr(request.app.state, "api_routes", router.routes),
            )
        )
        request.app.state.api_openapi = cached
    return Response(cached, media_type="application/json")
