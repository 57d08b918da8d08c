"""/v1/Workspaces/{WS}/Tasks"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from hindsight.api import paging, wire
from hindsight.api.forms import or_none
from hindsight.api.routes import Routes
from hindsight.api.taskrouter import render
from hindsight.api.taskrouter.common import ChildResource, list_response, scope
from hindsight.domain.sids import Prefix
from hindsight.domain.task_lifecycle import TaskStatus, parse_status
from hindsight.routing.tasks import NewTask, TaskChanges, TaskFilters, TaskRecord, sort_keys

router = Routes()


TASKS = ChildResource[TaskRecord](
    "Tasks",
    Prefix.TASK,
    "tasks",
    lambda s: s.tasks,
    lambda at, task: render.task(at.base, task, at.services.clock.now_ms()),  # its age: now
    versioned=True,
)
BASE = TASKS.base
_STATUSES = tuple(s.value for s in TaskStatus)


@router.post(BASE)
async def create(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = await wire.body_params(
        request,
        (
            "Timeout",
            "Priority",
            "TaskChannel",
            "WorkflowSid",
            "Attributes",
            "VirtualStartTime",
            "RoutingTarget",
            "IgnoreCapacity",
            "TaskQueueSid",
        ),
    )
    spec = NewTask(
        attributes=or_none(params.text("Attributes")),
        priority=or_none(params.integer("Priority")),
        timeout=or_none(params.integer("Timeout")),
        task_channel=or_none(params.text("TaskChannel")),
        workflow_sid=or_none(params.sid("WorkflowSid", Prefix.WORKFLOW)),
        task_queue_sid=or_none(params.sid("TaskQueueSid", Prefix.TASK_QUEUE)),
        virtual_start_time=or_none(params.date("VirtualStartTime")),
        routing_target=or_none(params.text("RoutingTarget")),
        ignore_capacity=or_none(params.boolean("IgnoreCapacity")),
    )
    task = await at.services.tasks.create(at.caller, at.ws, spec)
    return TASKS.respond(at, task, 201)


@router.get(BASE)
async def list_(request: Request, ws: str) -> Response:
    at = scope(request, ws)
    params = wire.query_params(
        request,
        (
            "Priority",
            "AssignmentStatus",
            "WorkflowSid",
            "WorkflowName",
            "TaskQueueSid",
            "TaskQueueName",
            "EvaluateTaskAttributes",
            "RoutingTarget",
            "Ordering",
            "HasAddons",
            *paging.PAGING_PARAMS,
        ),
    )
    ordering = or_none(params.text("Ordering"))
    keys = sort_keys(ordering)
    page = paging.parse(params, keys, ordering or "")
    filters = TaskFilters(
        priority=or_none(params.integer("Priority")),
        assignment_status=tuple(parse_status(s).value for s in params.many("AssignmentStatus")),
        workflow_sid=or_none(params.sid("WorkflowSid", Prefix.WORKFLOW)),
        workflow_name=or_none(params.text("WorkflowName")),
        task_queue_sid=or_none(params.sid("TaskQueueSid", Prefix.TASK_QUEUE)),
        task_queue_name=or_none(params.text("TaskQueueName")),
        evaluate_task_attributes=or_none(params.text("EvaluateTaskAttributes")),
        routing_target=or_none(params.text("RoutingTarget")),
        has_addons=or_none(params.boolean("HasAddons")),
    )
    result = await at.services.tasks.list(at.caller, at.ws, filters, keys, page.request)
    base = at.base
    now = at.services.clock.now_ms()
    return list_response(request, "tasks", result, keys, page, lambda r: render.task(base, r, now))


TASKS.route_fetch_and_delete(router)


@router.post(TASKS.item)
async def update(request: Request, ws: str, sid: str) -> Response:
    at = scope(request, ws)
    sid = TASKS.key(at.ws, sid)
    params = await wire.body_params(
        request,
        ("Attributes", "AssignmentStatus", "Reason", "Priority", "TaskChannel", "VirtualStartTime"),
    )
    changes = TaskChanges(
        attributes=params.text("Attributes"),
        assignment_status=params.choice("AssignmentStatus", _STATUSES),
        reason=params.text("Reason"),
        priority=params.integer("Priority"),
        task_channel=params.text("TaskChannel"),
        virtual_start_time=params.date("VirtualStartTime"),
    )
    task = await at.services.tasks.update(at.caller, at.ws, sid, changes, wire.if_match(request))
    return TASKS.respond(at, task)
