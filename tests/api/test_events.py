"""The Events resource: what task changes append to the log, and how the log is read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from twilio.rest import Client

from tests.api.helpers_tasks import (
    ENTERED_WORKFLOW,
    WORKFLOW_ROUTING,
    add_workflow,
    fifo_workspace,
    force_status,
    http,
    key_client,
    lifecycle,
    only_queue,
    only_workflow,
    set_event_date,
    stranger,
    ws_api,
)
from tests.support.server import RunningServer
from tests.support.twilio_errors import twilio_error

# The task fields TaskRouter documents for task events, as `event_data` names them.
TASK_EVENT_KEYS = {
    "task_sid",
    "task_attributes",
    "task_age",
    "task_priority",
    "task_assignment_status",
    "workspace_sid",
    "workspace_name",
}
MINUTE_MS = 60_000
# A task created through the FIFO workspace's workflow, as the Events resource lists it.
ENTERED_NEWEST_FIRST = list(reversed(ENTERED_WORKFLOW))

WORKSPACE_NAME = "Events Workspace"  # the `fifo` fixture's workspace


@pytest.fixture
def api(client: Client, fifo: Any) -> Any:
    return ws_api(client, fifo.sid)


def _types(events: list[Any]) -> list[str]:
    return [e.event_type for e in events]


def _task_events(api: Any, task_sid: str) -> list[Any]:
    return list(api.events.list(task_sid=task_sid))


def _task_event(api: Any, task_sid: str, event_type: str) -> Any:
    """The task's one event of this type."""
    (event,) = [e for e in _task_events(api, task_sid) if e.event_type == event_type]
    return event


def _created(api: Any, task_sid: str) -> Any:
    return _task_event(api, task_sid, "task.created")


# --- what task changes append ------------------------------------------------------------------


def test_create_update_cancel_delete_append_events_newest_first(api: Any) -> None:
    task = api.tasks.create()
    api.tasks(task.sid).update(attributes='{"a": 1}')
    api.tasks(task.sid).update(assignment_status="canceled", reason="hangup")
    api.tasks(task.sid).delete()

    events = _task_events(api, task.sid)
    assert _types(lifecycle(events)) == [
        "task.deleted",
        "task.canceled",
        "task.updated",
        "task.created",
    ]
    # New attributes on a waiting task evaluate its workflow again; landing in the step it is
    # already in, it keeps its place and nothing more is logged.
    assert _types(events) == [
        "task.deleted",
        "task.canceled",
        "task.updated",
        *ENTERED_NEWEST_FIRST,
    ]


def test_wrapping_and_completing_append_wrapup_then_completed(
    server: RunningServer, api: Any
) -> None:
    task = api.tasks.create()
    force_status(server, task.sid, "assigned")
    api.tasks(task.sid).update(assignment_status="wrapping")
    api.tasks(task.sid).update(assignment_status="completed", reason="resolved")

    assert _types(_task_events(api, task.sid)) == [
        "task.completed",
        "task.wrapup",
        *ENTERED_NEWEST_FIRST,
    ]


def test_changing_attributes_and_status_at_once_appends_updated_then_canceled(api: Any) -> None:
    task = api.tasks.create()

    api.tasks(task.sid).update(attributes='{"why": "spam"}', assignment_status="canceled")

    # The task is canceled, so its new attributes do not send it through the workflow again.
    assert _types(_task_events(api, task.sid)) == [
        "task.canceled",
        "task.updated",
        *ENTERED_NEWEST_FIRST,
    ]


def test_update_that_changes_nothing_appends_no_event(api: Any) -> None:
    task = api.tasks.create(attributes='{"a": 1}')

    api.tasks(task.sid).update(attributes='{"a": 1}')

    assert _types(_task_events(api, task.sid)) == ENTERED_NEWEST_FIRST


def test_refused_update_appends_no_event(api: Any) -> None:
    task = api.tasks.create()

    with twilio_error(400, 20001):
        api.tasks(task.sid).update(attributes="[]")
    with twilio_error(400, 20001):
        api.tasks(task.sid).update(assignment_status="completed")

    assert _types(_task_events(api, task.sid)) == ENTERED_NEWEST_FIRST


def test_task_event_data_has_twilios_keys_and_only_string_values(api: Any, fifo: Any) -> None:
    task = api.tasks.create(attributes='{"type": "call"}', priority=7)

    events = _task_events(api, task.sid)
    (created,) = [e for e in events if e.event_type == "task.created"]

    for event in events:
        assert set(event.event_data) >= TASK_EVENT_KEYS, (event.event_type, event.event_data)
        assert all(isinstance(v, str) for v in event.event_data.values()), event.event_data
    data = created.event_data
    assert set(data) >= TASK_EVENT_KEYS, sorted(TASK_EVENT_KEYS - set(data))
    assert all(isinstance(value, str) for value in data.values()), data
    assert {key: data[key] for key in TASK_EVENT_KEYS - {"task_age"}} == {
        "task_sid": task.sid,
        "task_attributes": '{"type": "call"}',
        "task_priority": "7",
        "task_assignment_status": "pending",
        "workspace_sid": fifo.sid,
        "workspace_name": WORKSPACE_NAME,
    }
    assert int(data["task_age"]) >= 0


def test_task_event_data_names_channel_and_workflow(api: Any) -> None:
    workflow = only_workflow(api)

    task = api.tasks.create(task_channel="voice")

    created = _created(api, task.sid)
    assert created.event_data["task_channel_unique_name"] == "voice"
    assert created.event_data["task_channel_sid"] == task.task_channel_sid
    assert (created.event_data["workflow_sid"], created.event_data["workflow_name"]) == (
        workflow.sid,
        workflow.friendly_name,
    )


def test_updated_event_carries_the_task_after_the_change(api: Any) -> None:
    task = api.tasks.create(attributes='{"v": 1}', priority=1)

    api.tasks(task.sid).update(attributes='{"v": 2}', priority=3)

    updated = _task_event(api, task.sid, "task.updated")
    assert updated.event_data["task_attributes"] == '{"v": 2}'
    assert updated.event_data["task_priority"] == "3"


def test_canceled_event_carries_the_canceled_reason(api: Any) -> None:
    task = api.tasks.create()

    api.tasks(task.sid).update(assignment_status="canceled", reason="caller hung up")

    canceled = _task_event(api, task.sid, "task.canceled")
    assert canceled.event_data["task_canceled_reason"] == "caller hung up"
    assert canceled.event_data["task_assignment_status"] == "canceled"
    assert "task_completed_reason" not in canceled.event_data
    assert "caller hung up" in canceled.description


def test_completed_event_carries_the_completed_reason(server: RunningServer, api: Any) -> None:
    task = api.tasks.create()
    force_status(server, task.sid, "assigned")

    api.tasks(task.sid).update(assignment_status="completed", reason="All done")

    completed = _task_event(api, task.sid, "task.completed")
    assert completed.event_data["task_completed_reason"] == "All done"
    assert completed.event_data["task_assignment_status"] == "completed"
    assert "task_canceled_reason" not in completed.event_data


def test_deleted_event_keeps_the_last_state_of_the_task(api: Any) -> None:
    task = api.tasks.create(attributes='{"keep": "me"}')

    api.tasks(task.sid).delete()

    deleted, *earlier = _task_events(api, task.sid)
    assert _types([deleted, *earlier]) == ["task.deleted", *ENTERED_NEWEST_FIRST]
    assert deleted.event_data["task_attributes"] == '{"keep": "me"}'


def test_event_names_the_task_as_its_resource(account: Any, api: Any, fifo: Any) -> None:
    task = api.tasks.create()
    events = _task_events(api, task.sid)
    created = _created(api, task.sid)

    assert {(e.resource_type, e.resource_sid) for e in events} == {("task", task.sid)}
    assert created.resource_url == task.url
    assert (created.account_sid, created.workspace_sid) == (account.sid, fifo.sid)
    assert created.sid.startswith("EV")
    assert created.url.endswith(f"/Workspaces/{fifo.sid}/Events/{created.sid}")


def test_event_records_the_account_that_acted(account: Any, api: Any, fifo: Any) -> None:
    task = api.tasks.create()

    created, *routing = reversed(_task_events(api, task.sid))

    assert (created.actor_type, created.actor_sid, created.source) == (
        "account",
        account.sid,
        "api",
    )
    # What routing did on its own account is the workspace's doing, not the caller's.
    assert [(e.actor_type, e.actor_sid, e.source) for e in routing] == [
        ("workspace", fifo.sid, "routing")
    ] * len(WORKFLOW_ROUTING)


def test_event_records_the_api_key_that_acted(
    server: RunningServer, client: Client, account: Any, fifo: Any
) -> None:
    key = client.new_keys.create(friendly_name="integration")
    keyed = ws_api(key_client(server, key.sid, key.secret, account.sid), fifo.sid)

    task = keyed.tasks.create()

    created, *routing = reversed(_task_events(keyed, task.sid))
    assert (created.actor_type, created.actor_sid, created.source) == ("api_key", key.sid, "api")
    assert [(e.actor_type, e.actor_sid, e.source) for e in routing] == [
        ("workspace", fifo.sid, "routing")
    ] * len(WORKFLOW_ROUTING)


# --- reading the log ---------------------------------------------------------------------------


def test_events_are_listed_newest_first(api: Any) -> None:
    sids = [api.tasks.create(priority=i).sid for i in range(4)]

    created = list(api.events.list(event_type="task.created"))

    assert [e.resource_sid for e in created] == list(reversed(sids))
    dates = [e.event_date_ms for e in created]
    assert dates == sorted(dates, reverse=True)


def test_events_page_newest_first_without_repeats(api: Any) -> None:
    sids = [api.tasks.create().sid for _ in range(12)]

    pages = []
    page: Any = api.events.page(event_type="task.created", page_size=5)
    while page is not None:
        pages.append([e.resource_sid for e in page])
        page = page.next_page()

    assert [len(p) for p in pages] == [5, 5, 2]
    assert [sid for p in pages for sid in p] == list(reversed(sids))


def test_fetch_returns_the_listed_event(api: Any) -> None:
    task = api.tasks.create(attributes='{"x": 1}')
    listed = _created(api, task.sid)

    fetched = api.events(listed.sid).fetch()

    assert (fetched.sid, fetched.event_type, fetched.event_data, fetched.event_date_ms) == (
        listed.sid,
        "task.created",
        listed.event_data,
        listed.event_date_ms,
    )


def test_fetch_of_unknown_event_is_not_found(api: Any) -> None:
    with twilio_error(404, 20404):
        api.events("EV" + "0" * 32).fetch()


def test_event_of_another_workspace_is_not_found_through_this_one(client: Client, api: Any) -> None:
    other = ws_api(client, fifo_workspace(client, "Other").sid)
    task = other.tasks.create()
    event = _created(other, task.sid)

    with twilio_error(404, 20404):
        api.events(event.sid).fetch()
    assert api.events.list(task_sid=task.sid) == []


def test_another_account_cannot_read_the_events(server: RunningServer, api: Any, fifo: Any) -> None:
    task = api.tasks.create()
    event = _created(api, task.sid)
    intruder = ws_api(stranger(server), fifo.sid)

    with twilio_error(404, 20404):
        intruder.events(event.sid).fetch()
    with twilio_error(404, 20404):
        intruder.events.list()


# --- filters -----------------------------------------------------------------------------------


def test_event_type_filter(api: Any) -> None:
    first = api.tasks.create()
    second = api.tasks.create()
    api.tasks(second.sid).update(priority=2)
    api.tasks(first.sid).update(assignment_status="canceled", reason="x")

    updated = api.events.list(event_type="task.updated")

    assert [(e.event_type, e.resource_sid) for e in updated] == [("task.updated", second.sid)]


def test_task_sid_filter(api: Any) -> None:
    task = api.tasks.create()
    api.tasks.create()
    api.tasks(task.sid).update(priority=4)

    listed = api.events.list(task_sid=task.sid)

    assert {e.resource_sid for e in listed} == {task.sid}
    assert _types(listed) == ["task.updated", *ENTERED_NEWEST_FIRST]


def test_worker_sid_filter(api: Any) -> None:
    alice = api.workers.create(friendly_name="alice")
    api.workers.create(friendly_name="bob")
    api.tasks.create()

    listed = api.events.list(worker_sid=alice.sid)

    assert [(e.event_type, e.resource_sid) for e in listed] == [("worker.created", alice.sid)]


def test_sid_filter(api: Any) -> None:
    task = api.tasks.create()
    api.tasks(task.sid).update(priority=1)
    created = _created(api, task.sid)

    assert [e.sid for e in api.events.list(sid=created.sid)] == [created.sid]


def test_task_queue_sid_filter(api: Any) -> None:
    # The workflow routes into the workspace's first queue, so the filtered queue is another.
    first = only_queue(api)
    queue = api.task_queues.create(friendly_name="Direct", target_workers="1==1")
    queued = api.tasks.create(task_queue_sid=queue.sid)
    routed = api.tasks.create()

    listed = [e for e in api.events.list(task_queue_sid=queue.sid) if e.resource_type == "task"]
    routed_into_first = [
        e for e in api.events.list(task_queue_sid=first.sid) if e.resource_type == "task"
    ]

    assert [(e.event_type, e.resource_sid) for e in listed] == [
        ("task-queue.entered", queued.sid),
        ("task.created", queued.sid),
    ]
    assert {e.resource_sid for e in routed_into_first} == {routed.sid}
    assert "task-queue.entered" in _types(routed_into_first)


def test_workflow_sid_filter(api: Any) -> None:
    first = only_workflow(api)
    second = add_workflow(api, "Second", only_queue(api).sid)
    routed = api.tasks.create(workflow_sid=second.sid)
    api.tasks.create(workflow_sid=first.sid)

    task_events = [e for e in api.events.list(workflow_sid=second.sid) if e.resource_type == "task"]

    assert [(e.event_type, e.resource_sid) for e in task_events] == [
        (event_type, routed.sid) for event_type in ENTERED_NEWEST_FIRST
    ]


def test_task_channel_filter(api: Any) -> None:
    voice = api.tasks.create(task_channel="voice")
    api.tasks.create(task_channel="chat")
    api.tasks.create()

    listed = api.events.list(task_channel="voice")

    assert [(e.event_type, e.resource_sid) for e in listed] == [
        (event_type, voice.sid) for event_type in ENTERED_NEWEST_FIRST
    ]


def test_filters_combine_with_and(api: Any) -> None:
    task = api.tasks.create(task_channel="voice")
    api.tasks(task.sid).update(priority=5)
    api.tasks.create(task_channel="voice")

    listed = api.events.list(task_channel="voice", event_type="task.updated")

    assert [(e.event_type, e.resource_sid) for e in listed] == [("task.updated", task.sid)]


# --- time windows ------------------------------------------------------------------------------


def _aged_event(server: RunningServer, api: Any, minutes_ago: int) -> tuple[str, Any]:
    """A task whose events are `minutes_ago` old; returns (task sid, its task.created event)."""
    task = api.tasks.create()
    events = _task_events(api, task.sid)
    for event in events:
        set_event_date(server, event.sid, event.event_date_ms - minutes_ago * MINUTE_MS)
    (created,) = [e for e in events if e.event_type == "task.created"]
    return task.sid, created


def test_default_window_is_the_last_15_minutes(server: RunningServer, api: Any) -> None:
    old_task, _event = _aged_event(server, api, minutes_ago=20)
    recent = api.tasks.create()

    listed = {e.resource_sid for e in api.events.list(event_type="task.created")}

    assert listed == {recent.sid}
    assert old_task not in listed


def test_minutes_widens_or_narrows_the_window(server: RunningServer, api: Any) -> None:
    old_task, _event = _aged_event(server, api, minutes_ago=20)
    recent = api.tasks.create()

    wide = {e.resource_sid for e in api.events.list(event_type="task.created", minutes=30)}
    narrow = {e.resource_sid for e in api.events.list(event_type="task.created", minutes=10)}

    assert wide == {old_task, recent.sid}
    assert narrow == {recent.sid}


def test_minutes_beyond_the_age_of_the_log_lists_everything(
    server: RunningServer, api: Any
) -> None:
    ancient, _event = _aged_event(server, api, minutes_ago=60 * 24 * 365 * 20)

    listed = api.events.list(event_type="task.created", minutes=2**62)

    assert [e.resource_sid for e in listed] == [ancient]


def test_start_and_end_date_select_a_window_in_the_past(server: RunningServer, api: Any) -> None:
    two_hours_ago, event = _aged_event(server, api, minutes_ago=120)
    api.tasks.create()
    now = datetime.fromtimestamp(event.event_date_ms / 1000, UTC)

    listed = api.events.list(
        event_type="task.created",
        start_date=now - timedelta(hours=3),
        end_date=now - timedelta(hours=1),
    )

    assert [e.resource_sid for e in listed] == [two_hours_ago]


def test_start_date_alone_lists_everything_since(server: RunningServer, api: Any) -> None:
    two_hours_ago, event = _aged_event(server, api, minutes_ago=120)
    recent = api.tasks.create()
    now = datetime.fromtimestamp(event.event_date_ms / 1000, UTC)

    since_3h = api.events.list(event_type="task.created", start_date=now - timedelta(hours=3))
    since_1h = api.events.list(event_type="task.created", start_date=now - timedelta(hours=1))

    assert [e.resource_sid for e in since_3h] == [recent.sid, two_hours_ago]
    assert [e.resource_sid for e in since_1h] == [recent.sid]


def test_end_date_before_every_event_lists_nothing(api: Any) -> None:
    task = api.tasks.create()
    created = api.tasks(task.sid).fetch().date_created

    listed = api.events.list(
        start_date=created - timedelta(minutes=5), end_date=created - timedelta(minutes=1)
    )

    assert listed == []


def test_minutes_and_start_date_together_are_refused(api: Any) -> None:
    with twilio_error(400, 20001, "Minutes", "StartDate"):
        api.events.list(minutes=5, start_date=datetime.now(UTC) - timedelta(hours=1))


def test_end_date_before_start_date_is_refused(api: Any) -> None:
    now = datetime.now(UTC)

    with twilio_error(400, 20001, "EndDate"):
        api.events.list(start_date=now - timedelta(hours=1), end_date=now - timedelta(hours=2))


@pytest.mark.parametrize("minutes", [0, -5])
def test_minutes_below_one_is_refused(api: Any, minutes: int) -> None:
    with twilio_error(400, 20001, "Minutes"):
        api.events.list(minutes=minutes)


def test_event_data_is_a_json_object_not_a_string(
    server: RunningServer, account: Any, fifo: Any, api: Any
) -> None:
    task = api.tasks.create()
    with http(server, account) as raw:
        body = raw.get(f"/v1/Workspaces/{fifo.sid}/Events", params={"TaskSid": task.sid}).json()

    assert [e["event_type"] for e in body["events"]] == ENTERED_NEWEST_FIRST
    for event in body["events"]:
        assert isinstance(event["event_data"], dict)
        assert json.loads(event["event_data"]["task_attributes"]) == {}
    assert body["meta"]["key"] == "events"
