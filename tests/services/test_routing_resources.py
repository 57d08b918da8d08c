"""TaskRouter resources at the service level: what creating and deleting one checks and
announces, without HTTP (the wire is tested in tests/api)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest

from hindsight.app import Runtime
from hindsight.auth.accounts import Principal
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.paging import PageRequest
from hindsight.routing.events import EventFilters
from hindsight.routing.task_queues import QueueFilters, QueueSettings, sort_keys
from hindsight.routing.workspaces import NewWorkspace
from hindsight.service_base import Caller

T = TypeVar("T")
PAGE = PageRequest(size=50)


def _run(work: Awaitable[T]) -> T:
    async def wait() -> T:
        return await work

    return asyncio.run(wait())


def _workspace(runtime: Runtime) -> tuple[Caller, str]:
    account = runtime.services.accounts.create_account("Routing")
    caller = Caller(Principal(account.sid, account.sid), ip="10.0.0.1")
    workspace = _run(
        runtime.services.workspaces.create(caller, NewWorkspace("WS", template="FIFO"))
    )
    return caller, workspace.sid


def _event_types(runtime: Runtime, caller: Caller, ws: str) -> list[str]:
    page = _run(runtime.services.events.list(caller, ws, EventFilters(start_ms=0), PAGE))
    return [e.event_type for e in page.rows]


def _refused(work: Awaitable[Any]) -> str:
    with pytest.raises(InvalidParameter) as refused:
        _run(work)
    return refused.value.message


def test_a_queue_a_workflow_routes_to_stays_until_the_workflow_goes(runtime: Runtime) -> None:
    services = runtime.services
    caller, ws = _workspace(runtime)
    queues = _run(services.task_queues.list(caller, ws, QueueFilters(), sort_keys(None), PAGE))
    workflows = _run(services.workflows.list(caller, ws, None, PAGE))
    (queue,), (workflow,) = queues.rows, workflows.rows

    assert "route to it" in _refused(services.task_queues.delete(caller, ws, queue.sid))
    assert _run(services.task_queues.fetch(caller, ws, queue.sid)) == queue
    assert "task-queue.deleted" not in _event_types(runtime, caller, ws)

    _run(services.workflows.delete(caller, ws, workflow.sid))
    _run(services.task_queues.delete(caller, ws, queue.sid))
    # Each deletion announced once, under the kind's own event type.
    types = _event_types(runtime, caller, ws)
    assert types.count("workflow.deleted") == types.count("task-queue.deleted") == 1


def test_created_resources_are_announced_and_names_stay_unique(runtime: Runtime) -> None:
    services = runtime.services
    caller, ws = _workspace(runtime)
    queue = _run(services.task_queues.create(caller, ws, QueueSettings(friendly_name="Sales")))
    assert (queue.target_workers, queue.max_reserved_workers, queue.task_order) == (
        "1==1",
        1,
        "FIFO",
    )
    assert queue.reservation_activity_sid is None
    assert "Queue named Sales already exists" in _refused(
        services.task_queues.create(caller, ws, QueueSettings(friendly_name="Sales"))
    )
    activity = _run(services.activities.create(caller, ws, "Lunch", False))
    assert "Activity named Lunch already exists" in _refused(
        services.activities.create(caller, ws, "Lunch", True)
    )
    types = _event_types(runtime, caller, ws)
    # Sales alone: the template's resources are announced by workspace.created.
    assert types.count("task-queue.created") == 1
    assert "activity.created" in types
    _run(services.activities.delete(caller, ws, activity.sid))
    assert "activity.deleted" in _event_types(runtime, caller, ws)


def test_workers_and_task_channels_each_get_a_worker_channel_for_the_other(
    runtime: Runtime,
) -> None:
    services = runtime.services
    caller, ws = _workspace(runtime)
    worker = _run(services.workers.create(caller, ws, "Ana", None, None))
    before = _run(services.workers.list_channels(caller, ws, worker.sid, PAGE))
    channel = _run(services.task_channels.create(caller, ws, "Fax", "fax", None))
    after = _run(services.workers.list_channels(caller, ws, worker.sid, PAGE))
    added = {c.task_channel_sid for c in after.rows} - {c.task_channel_sid for c in before.rows}
    assert added == {channel.sid}
    late = _run(services.workers.create(caller, ws, "Bo", None, None))
    theirs = _run(services.workers.list_channels(caller, ws, late.sid, PAGE))
    assert {c.task_channel_sid for c in theirs.rows} == {c.task_channel_sid for c in after.rows}
    # A worker starts in the workspace's default activity, at version 0.
    workspace = _run(services.workspaces.fetch(caller, ws))
    assert (late.activity_sid, late.version) == (workspace.default_activity_sid, 0)
    assert late.date_status_changed == late.date_created
