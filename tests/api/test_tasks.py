"""The Tasks resource through the official helper library: create, fetch, update, delete."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from twilio.rest import Client

from hindsight.store.schema import workspaces as workspaces_table
from tests.api.helpers_tasks import (
    ATTRIBUTES_LIMIT,
    MAX_PRIORITY,
    MAX_TIMEOUT,
    NO_TASK,
    add_workflow,
    assert_twilio_error,
    etag_of,
    fifo_workspace,
    force_status,
    header,
    http,
    only_queue,
    only_workflow,
    stranger,
    ws_api,
)
from tests.support.server import RunningServer
from tests.support.twilio_errors import twilio_error
from tests.support.waiting import wait_for


@pytest.fixture
def api(client: Client) -> Any:
    """A FIFO workspace's context: one workflow, one queue, the default channels."""
    return ws_api(client, fifo_workspace(client).sid)


def _channel(api: Any, unique_name: str) -> Any:
    (channel,) = [c for c in api.task_channels.list() if c.unique_name == unique_name]
    return channel


def _attributes(api: Any, sid: str) -> dict[str, Any]:
    return json.loads(api.tasks(sid).fetch().attributes)


# --- create ---------------------------------------------------------------------------------


def test_create_without_parameters_uses_twilio_defaults(api: Any) -> None:
    task = api.tasks.create()

    assert task.sid.startswith("WT")
    assert task.assignment_status == "pending"
    assert task.priority == 0
    assert task.timeout == 86_400
    assert task.attributes == "{}"
    assert task.reason is None
    assert task.task_channel_unique_name == "default"
    assert task.task_channel_sid == _channel(api, "default").sid
    assert task.virtual_start_time == task.date_created


def test_create_without_workflow_sid_takes_the_workspaces_only_workflow(api: Any) -> None:
    workflow = only_workflow(api)

    task = api.tasks.create()

    assert (task.workflow_sid, task.workflow_friendly_name) == (
        workflow.sid,
        workflow.friendly_name,
    )


def test_create_returns_201(client: Client, api: Any) -> None:
    api.tasks.create()

    assert client.http_client.responses[-1][2] == 201


def test_created_task_can_be_fetched_unchanged(api: Any) -> None:
    created = api.tasks.create(attributes='{"type": "call"}', priority=4)

    fetched = api.tasks(created.sid).fetch()

    assert (fetched.sid, fetched.attributes, fetched.priority, fetched.date_created) == (
        created.sid,
        '{"type": "call"}',
        4,
        created.date_created,
    )


def test_create_in_workspace_without_workflows_requires_workflow_sid(
    client: Client, workspace: Any
) -> None:
    with twilio_error(400, 20001, "WorkflowSid"):
        ws_api(client, workspace.sid).tasks.create()


def test_create_in_workspace_with_two_workflows_requires_workflow_sid(api: Any) -> None:
    add_workflow(api, "Second", only_queue(api).sid)

    with twilio_error(400, 20001, "WorkflowSid"):
        api.tasks.create()


def test_create_with_workflow_sid_picks_that_workflow_among_several(api: Any) -> None:
    second = add_workflow(api, "Second", only_queue(api).sid)

    task = api.tasks.create(workflow_sid=second.sid)

    assert (task.workflow_sid, task.workflow_friendly_name) == (second.sid, "Second")


def test_create_with_workflow_of_another_workspace_is_refused(client: Client, api: Any) -> None:
    elsewhere = only_workflow(ws_api(client, fifo_workspace(client, "Other").sid))

    with twilio_error(400, 20001, elsewhere.sid):
        api.tasks.create(workflow_sid=elsewhere.sid)
    assert api.tasks.list() == []


def test_create_with_malformed_workflow_sid_is_refused(api: Any) -> None:
    with twilio_error(400, 20001, "WorkflowSid"):
        api.tasks.create(workflow_sid="WW123")


@pytest.mark.parametrize("timeout", [1, 60, MAX_TIMEOUT])
def test_create_accepts_timeout_within_bounds(api: Any, timeout: int) -> None:
    assert api.tasks.create(timeout=timeout).timeout == timeout


@pytest.mark.parametrize("timeout", [0, -1, MAX_TIMEOUT + 1])
def test_create_refuses_timeout_out_of_bounds(api: Any, timeout: int) -> None:
    with twilio_error(400, 20001, "Timeout"):
        api.tasks.create(timeout=timeout)
    assert api.tasks.list() == []


@pytest.mark.parametrize("priority", [0, 7, MAX_PRIORITY])
def test_create_accepts_priority_within_bounds(api: Any, priority: int) -> None:
    assert api.tasks.create(priority=priority).priority == priority


@pytest.mark.parametrize("priority", [-1, MAX_PRIORITY + 1])
def test_create_refuses_priority_out_of_bounds(api: Any, priority: int) -> None:
    with twilio_error(400, 20001, "Priority"):
        api.tasks.create(priority=priority)
    assert api.tasks.list() == []


def test_create_takes_task_channel_by_unique_name(api: Any) -> None:
    task = api.tasks.create(task_channel="voice")

    assert (task.task_channel_sid, task.task_channel_unique_name) == (
        _channel(api, "voice").sid,
        "voice",
    )


def test_create_takes_task_channel_by_sid(api: Any) -> None:
    chat = _channel(api, "chat")

    task = api.tasks.create(task_channel=chat.sid)

    assert (task.task_channel_sid, task.task_channel_unique_name) == (chat.sid, "chat")


def test_create_with_unknown_task_channel_is_refused(api: Any) -> None:
    with twilio_error(400, 20001, "carrier-pigeon"):
        api.tasks.create(task_channel="carrier-pigeon")
    assert api.tasks.list() == []


def test_create_with_task_channel_of_another_workspace_is_refused(client: Client, api: Any) -> None:
    foreign = _channel(ws_api(client, fifo_workspace(client, "Other").sid), "voice")

    with twilio_error(400, 20001, "TaskChannel"):
        api.tasks.create(task_channel=foreign.sid)


def test_create_with_task_queue_sid_puts_the_task_in_that_queue(api: Any) -> None:
    queue = only_queue(api)

    task = api.tasks.create(task_queue_sid=queue.sid)

    assert (task.task_queue_sid, task.task_queue_friendly_name) == (queue.sid, queue.friendly_name)
    assert task.task_queue_entered_date is not None


def test_create_with_task_queue_of_another_workspace_is_refused(client: Client, api: Any) -> None:
    foreign = only_queue(ws_api(client, fifo_workspace(client, "Other").sid))

    with twilio_error(400, 20001, foreign.sid):
        api.tasks.create(task_queue_sid=foreign.sid)


def test_create_echoes_a_past_virtual_start_time(api: Any) -> None:
    start = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)

    task = api.tasks.create(virtual_start_time=start)

    assert task.virtual_start_time == start
    assert task.date_created > start


def test_create_accepts_virtual_start_time_in_1900(api: Any) -> None:
    start = datetime(1900, 1, 1, tzinfo=UTC)

    assert api.tasks.create(virtual_start_time=start).virtual_start_time == start


def test_create_refuses_virtual_start_time_in_the_future(api: Any) -> None:
    with twilio_error(400, 20001, "VirtualStartTime", "future"):
        api.tasks.create(virtual_start_time=datetime.now(UTC) + timedelta(hours=1))


def test_create_refuses_virtual_start_time_before_1900(api: Any) -> None:
    with twilio_error(400, 20001, "VirtualStartTime", "1900"):
        api.tasks.create(virtual_start_time=datetime(1899, 12, 31, 23, 59, 59, tzinfo=UTC))


def test_create_with_worker_routing_target_ignores_capacity_by_default(api: Any) -> None:
    worker = api.workers.create(friendly_name="alice")

    task = api.tasks.create(routing_target=worker.sid)

    assert (task.routing_target, task.ignore_capacity) == (worker.sid, True)


def test_create_with_worker_routing_target_can_respect_capacity(api: Any) -> None:
    worker = api.workers.create(friendly_name="alice")

    task = api.tasks.create(routing_target=worker.sid, ignore_capacity=False)

    assert (task.routing_target, task.ignore_capacity) == (worker.sid, False)


def test_create_with_queue_routing_target_keeps_it(api: Any) -> None:
    queue = only_queue(api)

    task = api.tasks.create(routing_target=queue.sid)

    assert (task.routing_target, task.ignore_capacity) == (queue.sid, None)


def test_create_refuses_routing_target_that_is_not_a_worker_queue_or_workflow(api: Any) -> None:
    with twilio_error(400, 20001, "RoutingTarget"):
        api.tasks.create(routing_target="alice")


def test_create_refuses_ignore_capacity_without_worker_target(api: Any) -> None:
    with twilio_error(400, 20001, "IgnoreCapacity"):
        api.tasks.create(ignore_capacity=True)


def test_task_age_grows_while_date_created_stays(api: Any) -> None:
    task = api.tasks.create()

    older = wait_for(lambda: (t := api.tasks(task.sid).fetch()).age >= 1 and t, timeout=5)

    assert older.date_created == task.date_created


# --- ETag -------------------------------------------------------------------------------------


def test_create_answers_with_etag_of_the_first_version(api: Any) -> None:
    response = api.tasks.create_with_http_info()

    assert header(response.headers, "ETag") == '"0"'
    assert etag_of(api, response.data.sid) == '"0"'


def test_etag_equals_the_version_in_the_event_log(api: Any) -> None:
    task = api.tasks.create()
    api.tasks(task.sid).update(attributes='{"a": 1}')
    response = api.tasks(task.sid).update_with_http_info(attributes='{"a": 2}')

    (latest, *_older) = api.events.list(task_sid=task.sid)
    assert header(response.headers, "ETag") == f'"{latest.event_data["task_version"]}"'
    assert header(response.headers, "ETag") == '"2"'


def test_update_that_changes_nothing_keeps_the_etag(api: Any) -> None:
    task = api.tasks.create(attributes='{"a": 1}', priority=3)
    before = etag_of(api, task.sid)

    api.tasks(task.sid).update(attributes='{"a": 1}', priority=3)

    assert etag_of(api, task.sid) == before


# --- update: attributes ------------------------------------------------------------------------


def test_update_replaces_attributes_entirely(api: Any) -> None:
    task = api.tasks.create(attributes='{"a": 1, "b": 2}')

    updated = api.tasks(task.sid).update(attributes='{"c": 3}')

    assert updated.attributes == '{"c": 3}'
    assert _attributes(api, task.sid) == {"c": 3}


def test_update_keeps_attributes_text_verbatim(api: Any) -> None:
    task = api.tasks.create()
    text = '{ "z" : 1,\n  "a" : "é" }'

    api.tasks(task.sid).update(attributes=text)

    assert api.tasks(task.sid).fetch().attributes == text


@pytest.mark.parametrize(
    "attributes",
    ['{"a": ', "not json", "[1, 2]", '"text"', "null", "42", "true", ""],
    ids=["truncated", "garbage", "array", "string", "null", "number", "boolean", "empty"],
)
def test_update_refuses_attributes_that_are_not_a_json_object(api: Any, attributes: str) -> None:
    task = api.tasks.create(attributes='{"kept": true}')

    with twilio_error(400, 20001, "Attributes"):
        api.tasks(task.sid).update(attributes=attributes)
    assert api.tasks(task.sid).fetch().attributes == '{"kept": true}'


def test_create_refuses_attributes_that_are_not_a_json_object(api: Any) -> None:
    with twilio_error(400, 20001, "Attributes"):
        api.tasks.create(attributes="[]")
    assert api.tasks.list() == []


def _attributes_of_size(size: int) -> str:
    text = '{"blob": "' + "x" * (size - 12) + '"}'
    assert len(text.encode()) == size
    return text


def test_update_accepts_attributes_of_exactly_the_limit(api: Any) -> None:
    task = api.tasks.create()
    text = _attributes_of_size(ATTRIBUTES_LIMIT)

    api.tasks(task.sid).update(attributes=text)

    assert api.tasks(task.sid).fetch().attributes == text


def test_update_refuses_oversize_attributes_and_changes_nothing(api: Any) -> None:
    task = api.tasks.create(attributes='{"kept": true}')

    with twilio_error(400, 20001, "limit"):
        api.tasks(task.sid).update(attributes=_attributes_of_size(ATTRIBUTES_LIMIT + 1))
    assert api.tasks(task.sid).fetch().attributes == '{"kept": true}'


def test_create_refuses_oversize_attributes(api: Any) -> None:
    with twilio_error(400, 20001, "limit"):
        api.tasks.create(attributes=_attributes_of_size(ATTRIBUTES_LIMIT + 1))
    assert api.tasks.list() == []


def test_refused_update_changes_none_of_the_other_parameters(api: Any) -> None:
    task = api.tasks.create(priority=1)

    with twilio_error(400, 20001):
        api.tasks(task.sid).update(priority=9, attributes="[]")
    assert api.tasks(task.sid).fetch().priority == 1


# --- update: priority, channel, virtual start time ---------------------------------------------


def test_update_changes_priority(api: Any) -> None:
    task = api.tasks.create(priority=1)

    api.tasks(task.sid).update(priority=MAX_PRIORITY)

    assert api.tasks(task.sid).fetch().priority == MAX_PRIORITY


@pytest.mark.parametrize("priority", [-1, MAX_PRIORITY + 1])
def test_update_refuses_priority_out_of_bounds(api: Any, priority: int) -> None:
    task = api.tasks.create(priority=1)

    with twilio_error(400, 20001, "Priority"):
        api.tasks(task.sid).update(priority=priority)
    assert api.tasks(task.sid).fetch().priority == 1


def test_update_moves_task_to_another_channel(api: Any) -> None:
    task = api.tasks.create()

    updated = api.tasks(task.sid).update(task_channel="sms")

    assert (updated.task_channel_sid, updated.task_channel_unique_name) == (
        _channel(api, "sms").sid,
        "sms",
    )


def test_update_refuses_unknown_channel(api: Any) -> None:
    task = api.tasks.create(task_channel="voice")

    with twilio_error(400, 20001, "TaskChannel"):
        api.tasks(task.sid).update(task_channel="fax")
    assert api.tasks(task.sid).fetch().task_channel_unique_name == "voice"


def test_update_changes_virtual_start_time(api: Any) -> None:
    task = api.tasks.create()
    start = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)

    api.tasks(task.sid).update(virtual_start_time=start)

    assert api.tasks(task.sid).fetch().virtual_start_time == start


def test_update_refuses_virtual_start_time_in_the_future(api: Any) -> None:
    task = api.tasks.create()

    with twilio_error(400, 20001, "VirtualStartTime"):
        api.tasks(task.sid).update(virtual_start_time=datetime.now(UTC) + timedelta(days=1))
    assert api.tasks(task.sid).fetch().virtual_start_time == task.virtual_start_time


# --- update: assignment status ------------------------------------------------------------------


def test_pending_task_can_be_canceled_with_a_reason(api: Any) -> None:
    task = api.tasks.create()

    updated = api.tasks(task.sid).update(assignment_status="canceled", reason="hangup")

    assert (updated.assignment_status, updated.reason) == ("canceled", "hangup")


def test_reserved_task_can_be_canceled(server: RunningServer, api: Any) -> None:
    task = api.tasks.create()
    force_status(server, task.sid, "reserved")

    updated = api.tasks(task.sid).update(assignment_status="canceled", reason="caller left")

    assert (updated.assignment_status, updated.reason) == ("canceled", "caller left")


def test_assigned_task_can_be_wrapped_up(server: RunningServer, api: Any) -> None:
    task = api.tasks.create()
    force_status(server, task.sid, "assigned")

    assert api.tasks(task.sid).update(assignment_status="wrapping").assignment_status == "wrapping"


@pytest.mark.parametrize("start", ["assigned", "wrapping"])
def test_assigned_or_wrapping_task_can_be_completed(
    server: RunningServer, api: Any, start: str
) -> None:
    task = api.tasks.create()
    force_status(server, task.sid, start)

    updated = api.tasks(task.sid).update(assignment_status="completed", reason="resolved")

    assert (updated.assignment_status, updated.reason) == ("completed", "resolved")
    assert api.tasks(task.sid).fetch().assignment_status == "completed"


def test_task_goes_through_wrapping_to_completed(server: RunningServer, api: Any) -> None:
    task = api.tasks.create()
    force_status(server, task.sid, "assigned")

    api.tasks(task.sid).update(assignment_status="wrapping")
    api.tasks(task.sid).update(assignment_status="completed", reason="done")

    assert api.tasks(task.sid).fetch().assignment_status == "completed"


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("pending", "completed"),
        ("pending", "wrapping"),
        ("reserved", "completed"),
        ("reserved", "wrapping"),
        ("wrapping", "wrapping"),
        ("assigned", "canceled"),
        ("wrapping", "canceled"),
        ("completed", "canceled"),
        ("completed", "wrapping"),
        ("canceled", "completed"),
        ("canceled", "canceled"),
    ],
)
def test_transition_the_lifecycle_forbids_is_refused(
    server: RunningServer, api: Any, start: str, target: str
) -> None:
    task = api.tasks.create()
    force_status(server, task.sid, start)

    with twilio_error(400, 20001, f"'{start}'", f"'{target}'"):
        api.tasks(task.sid).update(assignment_status=target, reason="because")
    fetched = api.tasks(task.sid).fetch()
    assert (fetched.assignment_status, fetched.reason) == (start, None)


@pytest.mark.parametrize("target", ["pending", "reserved", "assigned"])
def test_statuses_reached_only_through_routing_cannot_be_set(api: Any, target: str) -> None:
    task = api.tasks.create()

    with twilio_error(400, 20001, "routing", target):
        api.tasks(task.sid).update(assignment_status=target)
    assert api.tasks(task.sid).fetch().assignment_status == "pending"


def test_unknown_assignment_status_is_refused(api: Any) -> None:
    task = api.tasks.create()

    with twilio_error(400, 20001, "AssignmentStatus"):
        api.tasks(task.sid).update(assignment_status="finished")


def test_reason_without_assignment_status_is_refused(api: Any) -> None:
    task = api.tasks.create()

    with twilio_error(400, 20001, "Reason"):
        api.tasks(task.sid).update(reason="why not")
    assert api.tasks(task.sid).fetch().reason is None


def test_attributes_can_still_change_after_completion(server: RunningServer, api: Any) -> None:
    task = api.tasks.create(attributes='{"conversations": {}}')
    force_status(server, task.sid, "assigned")
    api.tasks(task.sid).update(assignment_status="completed", reason="done")
    media = '{"conversations": {"media": [{"type": "Embedded", "url": "https://x.test/r"}]}}'

    updated = api.tasks(task.sid).update(attributes=media)

    assert (updated.attributes, updated.assignment_status) == (media, "completed")
    assert api.tasks(task.sid).fetch().attributes == media


def test_attributes_can_still_change_after_cancellation(api: Any) -> None:
    task = api.tasks.create()
    api.tasks(task.sid).update(assignment_status="canceled", reason="abandoned")

    api.tasks(task.sid).update(attributes='{"note": "called back"}')

    assert _attributes(api, task.sid) == {"note": "called back"}


# --- If-Match ----------------------------------------------------------------------------------


def test_update_with_matching_if_match_succeeds(api: Any) -> None:
    task = api.tasks.create(attributes='{"v": 0}')

    api.tasks(task.sid).update(if_match=etag_of(api, task.sid), attributes='{"v": 1}')

    assert _attributes(api, task.sid) == {"v": 1}


def test_update_with_stale_if_match_fails_412_and_changes_nothing(api: Any) -> None:
    task = api.tasks.create(attributes='{"v": 0}')
    stale = etag_of(api, task.sid)
    api.tasks(task.sid).update(attributes='{"v": 1}')

    with twilio_error(412, 20412):
        api.tasks(task.sid).update(if_match=stale, attributes='{"v": "lost"}', priority=5)
    fetched = api.tasks(task.sid).fetch()
    assert (json.loads(fetched.attributes), fetched.priority) == ({"v": 1}, 0)


def test_status_change_with_stale_if_match_fails_412(api: Any) -> None:
    task = api.tasks.create()
    stale = etag_of(api, task.sid)
    api.tasks(task.sid).update(priority=2)

    with twilio_error(412, 20412):
        api.tasks(task.sid).update(if_match=stale, assignment_status="canceled", reason="x")
    assert api.tasks(task.sid).fetch().assignment_status == "pending"


@pytest.mark.parametrize("form", ["{v}", 'W/"{v}"', '"{v}"'])
def test_if_match_accepts_quoted_bare_and_weak_etags(api: Any, form: str) -> None:
    task = api.tasks.create()

    api.tasks(task.sid).update(if_match=form.format(v=0), priority=4)

    assert api.tasks(task.sid).fetch().priority == 4


def test_if_match_that_names_no_version_fails_412(api: Any) -> None:
    task = api.tasks.create()

    with twilio_error(412, 20412):
        api.tasks(task.sid).update(if_match='"yesterday"', priority=4)
    assert api.tasks(task.sid).fetch().priority == 0


# twilio-python 9.13 drops `if_match` on delete (it overwrites the headers it built), so the
# conditional deletes go over raw HTTP.


def test_delete_with_stale_if_match_fails_412_and_keeps_the_task(
    server: RunningServer, account: Any, api: Any
) -> None:
    task = api.tasks.create()
    stale = etag_of(api, task.sid)
    api.tasks(task.sid).update(priority=3)

    with http(server, account) as raw:
        response = raw.delete(task.url.removeprefix(server.base_url), headers={"If-Match": stale})

    assert_twilio_error(response, 412, 20412)
    assert api.tasks(task.sid).fetch().priority == 3


def test_delete_with_matching_if_match_deletes(
    server: RunningServer, account: Any, api: Any
) -> None:
    task = api.tasks.create()
    etag = etag_of(api, task.sid)

    with http(server, account) as raw:
        response = raw.delete(task.url.removeprefix(server.base_url), headers={"If-Match": etag})

    assert (response.status_code, response.content) == (204, b"")
    assert api.tasks.list() == []


# --- delete and missing tasks ------------------------------------------------------------------


def test_delete_answers_204_and_the_task_is_gone(client: Client, api: Any) -> None:
    task = api.tasks.create()

    api.tasks(task.sid).delete()

    assert client.http_client.responses[-1][2] == 204
    with twilio_error(404, 20404, task.sid):
        api.tasks(task.sid).fetch()


def test_delete_twice_answers_404(api: Any) -> None:
    task = api.tasks.create()
    api.tasks(task.sid).delete()

    with twilio_error(404, 20404):
        api.tasks(task.sid).delete()


def test_update_of_missing_task_answers_404(api: Any) -> None:
    with twilio_error(404, 20404, NO_TASK):
        api.tasks(NO_TASK).update(priority=1)


def test_task_of_another_workspace_is_not_found_through_this_one(client: Client, api: Any) -> None:
    other = ws_api(client, fifo_workspace(client, "Other").sid)
    task = other.tasks.create()

    with twilio_error(404, 20404):
        api.tasks(task.sid).fetch()
    with twilio_error(404, 20404):
        api.tasks(task.sid).update(priority=9)
    assert other.tasks(task.sid).fetch().priority == 0


# --- a workspace mirroring Twilio -----------------------------------------------------------


# A removed source's SID: the mark outlives the source (see schema.workspaces.mirror_source).
NO_SOURCE = "TS" + "0" * 32


def _mirror(server: RunningServer, ws: str) -> None:
    """Make a workspace a mirror of a Twilio source, as ingestion would have created it."""
    statement = (
        update(workspaces_table).where(workspaces_table.c.sid == ws).values(mirror_source=NO_SOURCE)
    )
    server.runtime.db.write_sync(lambda conn: conn.execute(statement))


def test_updating_or_deleting_a_task_of_a_mirrored_workspace_is_refused_and_changes_nothing(
    server: RunningServer, api: Any
) -> None:
    task = api.tasks.create(attributes='{"a": 1}')
    events_before = len(api.events.list())
    _mirror(server, task.workspace_sid)

    with twilio_error(400, 20001, "mirrors a Twilio account", "read-only"):
        api.tasks(task.sid).update(attributes='{"a": 2}')
    with twilio_error(400, 20001, "mirrors a Twilio account"):
        api.tasks(task.sid).update(assignment_status="canceled", if_match=etag_of(api, task.sid))
    with twilio_error(400, 20001, "mirrors a Twilio account"):
        api.tasks(task.sid).delete()

    kept = api.tasks(task.sid).fetch()
    assert (kept.attributes, kept.assignment_status) == ('{"a": 1}', "pending")
    assert len(api.events.list()) == events_before
    # The mirror's missing tasks are still 404, and another account learns nothing of it.
    with twilio_error(404, 20404, NO_TASK):
        api.tasks(NO_TASK).update(priority=1)
    with twilio_error(404, 20404):
        ws_api(stranger(server), task.workspace_sid).tasks(task.sid).update(priority=1)
