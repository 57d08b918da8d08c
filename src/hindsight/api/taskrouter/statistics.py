"""/v1/Workspaces/{WS}/…Statistics: workspace, task queue, workflow and worker statistics.

These paths share their prefixes with the resources' own (`/TaskQueues/{sid}`,
`/Workers/{sid}`), so this table must be registered before those modules'.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import Params, or_none, parse_form_body
from hindsight.api.routes import Routes
from hindsight.api.taskrouter import statistics_render as render
from hindsight.api.taskrouter.common import (
    list_response,
    path_sid,
    scope,
)
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.sids import Prefix, is_sid
from hindsight.domain.statistics import parse_thresholds
from hindsight.routing.statistics import (
    QUEUE_STATISTICS_ORDER,
    StatisticsRequest,
    StatisticsService,
    WorkerFilters,
)

router = Routes()
WS = "/v1/Workspaces/{ws}"
KINDS = ("Statistics", "RealTimeStatistics", "CumulativeStatistics")

_WINDOW = ("Minutes", "StartDate", "EndDate", "TaskChannel")
_SPLIT = "SplitByWaitTime"
# The spec names the bulk body's list `QueueSids`; TaskRouter's own example sends `queueSids`.
_BULK_KEYS = ("QueueSids", "queueSids")


def _statistics_request(params: Params, *, window: bool, split: bool) -> StatisticsRequest:
    channel = or_none(params.text("TaskChannel")) or None
    if not window:
        return StatisticsRequest(task_channel=channel)
    thresholds = or_none(params.text(_SPLIT)) if split else None
    return StatisticsRequest(
        minutes=or_none(params.integer("Minutes", minimum=1)),
        start_ms=or_none(params.date("StartDate")),
        end_ms=or_none(params.date("EndDate")),
        task_channel=channel,
        split_by_wait_time=parse_thresholds(thresholds) if thresholds else None,
    )


def _accepted(kind: str, *, split: bool) -> tuple[str, ...]:
    if kind == "RealTimeStatistics":
        return ("TaskChannel",)
    return (*_WINDOW, _SPLIT) if split else _WINDOW


def _halves(kind: str) -> dict[str, bool]:
    return {
        "realtime": kind != "CumulativeStatistics",
        "cumulative": kind != "RealTimeStatistics",
    }


# --- workspace -----------------------------------------------------------------------------


def _workspace_route(kind: str) -> None:
    async def handler(request: Request, ws: str) -> Response:
        at = scope(request, ws)
        params = wire.query_params(request, _accepted(kind, split=True))
        query = _statistics_request(params, window=kind != "RealTimeStatistics", split=True)
        result = await at.services.statistics.workspace(at.caller, at.ws, query, **_halves(kind))
        return wire.json_response(render.workspace_statistics(at.base, result, kind))

    handler.__name__ = f"workspace_{kind}"
    router.get(f"{WS}/{kind}")(handler)


# --- task queues ---------------------------------------------------------------------------


@router.get(WS + "/TaskQueues/Statistics")
async def list_queue_statistics(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = wire.query_params(request, ("FriendlyName", *_WINDOW, _SPLIT, *paging.PAGING_PARAMS))
    page = paging.parse(params, QUEUE_STATISTICS_ORDER)
    query = _statistics_request(params, window=True, split=True)
    name = or_none(params.text("FriendlyName"))
    result = await at.services.statistics.task_queues(at.caller, at.ws, name, query, page.request)
    return list_response(
        request,
        "task_queues_statistics",
        result,
        QUEUE_STATISTICS_ORDER,
        page,
        lambda row: render.queue_list_item(row.statistics, row.queue.sid),
    )


@router.post(WS + "/TaskQueues/RealTimeStatistics")
async def bulk_queue_statistics(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    queue_sids = await _bulk_queue_sids(request)
    account_sid, answers = await at.services.statistics.bulk_task_queues(
        at.caller, at.ws, queue_sids
    )
    body = render.bulk_queue_statistics(at.base, account_sid, at.ws, answers)
    return wire.json_response(body)


async def _bulk_queue_sids(request: Request) -> list[str]:
    """The queue SIDs of a bulk request: a JSON body `{"QueueSids": [...]}`, as the helper
    libraries send it, or a form with `QueueSids` (repeated or comma-separated)."""
    body = await wire.read_capped(request, request.app.state.max_body_bytes)
    content_type = request.headers.get("content-type")
    if (content_type or "").split(";")[0].strip().lower() == "application/json":
        values = _json_queue_sids(body)
    else:
        params = Params(parse_form_body(body, content_type), _BULK_KEYS)
        values = [v for key in _BULK_KEYS for v in params.many(key)]
    for value in values:
        if not is_sid(value, Prefix.TASK_QUEUE):
            raise InvalidParameter(
                f"QueueSids must hold TaskQueue SIDs (WQ followed by 32 hex digits), got {value!r}"
            )
    return values


def _json_queue_sids(body: bytes) -> list[Any]:
    try:
        document = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError:
        raise InvalidParameter("The request body is not a valid JSON document") from None
    if not isinstance(document, dict):
        raise InvalidParameter('Send the request body as a JSON object: {"QueueSids": [...]}')
    unknown = sorted(set(document) - set(_BULK_KEYS))
    if unknown:
        raise InvalidParameter(
            f"Unknown parameter {unknown[0]!r}. Parameters accepted here: QueueSids"
        )
    values: list[Any] = []
    for key in _BULK_KEYS:
        given = document.get(key, [])
        if not isinstance(given, list) or not all(isinstance(v, str) for v in given):
            raise InvalidParameter("QueueSids must be an array of TaskQueue SIDs")
        values.extend(given)
    return values


def _one_route(
    kind: str,
    name: str,
    collection: str,
    prefix: Prefix,
    figures: Callable[[StatisticsService], Callable[..., Awaitable[Any]]],
    show: Callable[[str, Any, str, str], dict[str, Any]],
) -> None:
    """`/<collection>/{sid}/<kind>`: the statistics of one queue or workflow."""

    async def handler(request: Request, ws: str, sid: str) -> Response:
        at = scope(request, ws)
        sid = path_sid(sid, prefix, f"/Workspaces/{at.ws}/{collection}/{sid}")
        params = wire.query_params(request, _accepted(kind, split=True))
        query = _statistics_request(params, window=kind != "RealTimeStatistics", split=True)
        read = figures(at.services.statistics)
        result = await read(at.caller, at.ws, sid, query, **_halves(kind))
        return wire.json_response(show(at.base, result, sid, kind))

    handler.__name__ = f"{name}_{kind}"
    router.get(f"{WS}/{collection}/{{sid}}/{kind}")(handler)


def _queue_route(kind: str) -> None:
    queue = Prefix.TASK_QUEUE
    _one_route(
        kind, "task_queue", "TaskQueues", queue, lambda s: s.task_queue, render.queue_statistics
    )


# --- workers -------------------------------------------------------------------------------


def _workers_route(kind: str) -> None:
    # Only the combined Statistics takes the worker filters (as in TaskRouter's spec).
    filters = ("TaskQueueSid", "TaskQueueName", "FriendlyName") if kind == "Statistics" else ()

    async def handler(request: Request, ws: str) -> Response:
        at = scope(request, ws)
        params = wire.query_params(request, (*_accepted(kind, split=False), *filters))
        query = _statistics_request(params, window=kind != "RealTimeStatistics", split=False)
        chosen = WorkerFilters()
        if filters:
            chosen = WorkerFilters(
                task_queue_sid=or_none(params.sid("TaskQueueSid", Prefix.TASK_QUEUE)),
                task_queue_name=or_none(params.text("TaskQueueName")),
                friendly_name=or_none(params.text("FriendlyName")),
            )
        result = await at.services.statistics.workers(
            at.caller, at.ws, chosen, query, **_halves(kind)
        )
        return wire.json_response(render.workers_statistics(at.base, result, kind))

    handler.__name__ = f"workers_{kind}"
    router.get(f"{WS}/Workers/{kind}")(handler)


@router.get(WS + "/Workers/{sid}/Statistics")
async def worker_statistics(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    sid = path_sid(sid, Prefix.WORKER, f"/Workspaces/{at.ws}/Workers/{sid}")
    params = wire.query_params(request, _WINDOW)
    query = _statistics_request(params, window=True, split=False)
    result = await at.services.statistics.worker(at.caller, at.ws, sid, query)
    return wire.json_response(render.worker_statistics(at.base, result, sid))


# --- workflows -----------------------------------------------------------------------------


def _workflow_route(kind: str) -> None:
    _one_route(
        kind,
        "workflow",
        "Workflows",
        Prefix.WORKFLOW,
        lambda s: s.workflow,
        render.workflow_statistics,
    )


for _kind in KINDS:
    _workspace_route(_kind)
    _queue_route(_kind)
    _workers_route(_kind)
    _workflow_route(_kind)
