"""Workspaces through the official twilio client: defaults, CRUD, lists, errors, events."""

from __future__ import annotations

import json

import pytest

from tests.api.helpers_config import (
    MISSING,
    activity_sid,
    event_types,
    single_event,
    stranger_client,
    ws_api,
)
from tests.support.twilio_errors import twilio_error


def test_create_answers_201_with_twilio_defaults(client):
    response = client.taskrouter.v1.workspaces.create_with_http_info(friendly_name="Support")

    assert response.status_code == 201
    ws = response.data
    assert ws.sid.startswith("WS")
    assert ws.friendly_name == "Support"
    assert ws.account_sid == client.username
    assert ws.multi_task_enabled is True
    assert ws.prioritize_queue_order == "FIFO"
    assert ws.event_callback_url is None
    assert ws.events_filter is None
    assert ws.url.endswith(f"/v1/Workspaces/{ws.sid}")
    assert ws.date_created is not None and ws.date_updated == ws.date_created


def test_new_workspace_default_and_timeout_activity_is_offline(client, workspace):
    offline = activity_sid(client, workspace.sid, "Offline")

    assert workspace.default_activity_name == "Offline"
    assert workspace.timeout_activity_name == "Offline"
    assert workspace.default_activity_sid == offline
    assert workspace.timeout_activity_sid == offline


def test_new_workspace_has_offline_available_and_unavailable_activities(client, workspace):
    activities = ws_api(client, workspace.sid).activities.list()

    assert {a.friendly_name: a.available for a in activities} == {
        "Offline": False,
        "Available": True,
        "Unavailable": False,
    }


def test_new_workspace_has_the_five_default_task_channels(client, workspace):
    channels = ws_api(client, workspace.sid).task_channels.list()

    assert sorted(c.unique_name for c in channels) == ["chat", "default", "sms", "video", "voice"]
    default = next(c for c in channels if c.unique_name == "default")
    assert default.friendly_name == "Default"


def test_template_none_creates_no_queue_and_no_workflow(client):
    ws = client.taskrouter.v1.workspaces.create(friendly_name="Plain", template="NONE")

    assert ws_api(client, ws.sid).task_queues.list() == []
    assert ws_api(client, ws.sid).workflows.list() == []


def test_template_fifo_adds_sample_queue_and_default_fifo_workflow_routing_to_it(client):
    ws = client.taskrouter.v1.workspaces.create(friendly_name="Fifo", template="FIFO")

    (queue,) = ws_api(client, ws.sid).task_queues.list()
    (workflow,) = ws_api(client, ws.sid).workflows.list()
    assert queue.friendly_name == "Sample Queue"
    assert queue.target_workers == "1==1"
    assert workflow.friendly_name == "Default Fifo Workflow"
    assert workflow.task_reservation_timeout == 120
    routing = json.loads(workflow.configuration)["task_routing"]
    assert routing["default_filter"]["queue"] == queue.sid


def test_create_keeps_every_given_setting(client):
    ws = client.taskrouter.v1.workspaces.create(
        friendly_name="Configured",
        event_callback_url="https://example.com/events",
        events_filter="task.created,worker.activity.update",
        multi_task_enabled=False,
        prioritize_queue_order="LIFO",
    )

    fetched = client.taskrouter.v1.workspaces(ws.sid).fetch()
    assert fetched.event_callback_url == "https://example.com/events"
    assert fetched.events_filter == "task.created,worker.activity.update"
    assert fetched.multi_task_enabled is False
    assert fetched.prioritize_queue_order == "LIFO"


def test_fetch_returns_the_workspace_with_its_links(client, workspace):
    fetched = client.taskrouter.v1.workspaces(workspace.sid).fetch()

    assert fetched.sid == workspace.sid
    assert fetched.friendly_name == "Test Workspace"
    assert fetched.links["activities"] == f"{workspace.url}/Activities"
    assert fetched.links["task_channels"] == f"{workspace.url}/TaskChannels"
    assert fetched.links["events"] == f"{workspace.url}/Events"


def test_update_changes_the_given_fields_only(client, workspace):
    available = activity_sid(client, workspace.sid, "Available")
    unavailable = activity_sid(client, workspace.sid, "Unavailable")

    updated = client.taskrouter.v1.workspaces(workspace.sid).update(
        friendly_name="Renamed",
        default_activity_sid=available,
        timeout_activity_sid=unavailable,
        multi_task_enabled=False,
        prioritize_queue_order="LIFO",
    )

    assert updated.friendly_name == "Renamed"
    assert (updated.default_activity_sid, updated.default_activity_name) == (
        available,
        "Available",
    )
    assert (updated.timeout_activity_sid, updated.timeout_activity_name) == (
        unavailable,
        "Unavailable",
    )
    assert updated.multi_task_enabled is False
    assert updated.prioritize_queue_order == "LIFO"
    assert updated.date_created == workspace.date_created
    assert client.taskrouter.v1.workspaces(workspace.sid).fetch().friendly_name == "Renamed"


def test_update_with_empty_event_callback_url_clears_it(client):
    ws = client.taskrouter.v1.workspaces.create(
        friendly_name="Hooked", event_callback_url="https://example.com/hook"
    )

    updated = client.taskrouter.v1.workspaces(ws.sid).update(event_callback_url="")

    assert updated.event_callback_url is None


def test_list_filters_by_friendly_name(client):
    wanted = client.taskrouter.v1.workspaces.create(friendly_name="Alpha")
    client.taskrouter.v1.workspaces.create(friendly_name="Beta")

    found = client.taskrouter.v1.workspaces.list(friendly_name="Alpha")

    assert [w.sid for w in found] == [wanted.sid]


def test_list_streams_every_workspace_exactly_once_across_pages(client):
    created = [
        client.taskrouter.v1.workspaces.create(friendly_name=f"Paged {i}").sid for i in range(5)
    ]

    listed = [w.sid for w in client.taskrouter.v1.workspaces.list(page_size=2)]

    assert sorted(listed) == sorted(created)
    assert len(listed) == len(set(listed))


def test_list_meta_describes_the_page(client):
    for i in range(3):
        client.taskrouter.v1.workspaces.create(friendly_name=f"Meta {i}")

    first = client.taskrouter.v1.workspaces.page(page_size=2)
    meta = first._payload["meta"]
    second = first.next_page()
    second_meta = second._payload["meta"]

    assert meta["key"] == "workspaces"
    assert (meta["page"], meta["page_size"]) == (0, 2)
    assert meta["previous_page_url"] is None
    assert "PageSize=2" in meta["first_page_url"] and "Page=0" in meta["first_page_url"]
    assert "Page=1" in meta["next_page_url"]
    assert len(list(first)) == 2
    assert second_meta["page"] == 1
    assert second_meta["next_page_url"] is None
    assert second_meta["previous_page_url"] is not None
    assert len(list(second)) == 1


def test_previous_page_returns_the_first_page_again(client):
    for i in range(5):
        client.taskrouter.v1.workspaces.create(friendly_name=f"Back {i}")
    first = client.taskrouter.v1.workspaces.page(page_size=2)
    first_sids = [w.sid for w in first]

    back = first.next_page().next_page().previous_page().previous_page()

    assert back._payload["meta"]["page"] == 0
    assert [w.sid for w in back] == first_sids


def test_delete_answers_204_and_the_workspace_is_gone(client, workspace):
    response = client.taskrouter.v1.workspaces(workspace.sid).delete_with_http_info()

    assert response.status_code == 204
    with twilio_error(404, 20404, workspace.sid):
        client.taskrouter.v1.workspaces(workspace.sid).fetch()
    with twilio_error(404, 20404):
        ws_api(client, workspace.sid).activities.list()


def test_delete_removes_a_workspace_full_of_resources(client):
    ws = client.taskrouter.v1.workspaces.create(friendly_name="Busy", template="FIFO")
    api = ws_api(client, ws.sid)
    lunch = api.activities.create(friendly_name="Lunch")
    worker = api.workers.create(friendly_name="Alice", activity_sid=lunch.sid)
    api.task_queues.create(friendly_name="Sales", reservation_activity_sid=lunch.sid)
    (workflow,) = api.workflows.list()
    api.tasks.create(workflow_sid=workflow.sid)

    client.taskrouter.v1.workspaces(ws.sid).delete()

    assert client.taskrouter.v1.workspaces.list() == []
    with twilio_error(404, 20404):
        api.workers(worker.sid).fetch()


def test_create_appends_workspace_created_event(client, workspace):
    event = single_event(client, workspace.sid, "workspace.created", workspace.sid)

    assert event.resource_type == "workspace"
    assert event.event_data["workspace_sid"] == workspace.sid
    assert event.event_data["workspace_name"] == "Test Workspace"


def test_update_appends_workspace_updated_event_with_the_new_name(client, workspace):
    client.taskrouter.v1.workspaces(workspace.sid).update(friendly_name="Renamed")

    event = single_event(client, workspace.sid, "workspace.updated", workspace.sid)
    assert event.event_data["workspace_name"] == "Renamed"
    assert event_types(client, workspace.sid) == ["workspace.created", "workspace.updated"]


# --- errors ---------------------------------------------------------------------------------


def test_create_without_friendly_name_is_refused(client):
    with twilio_error(400, 20001, "FriendlyName"):
        client.taskrouter.v1.workspaces.create(friendly_name="")


def test_create_with_too_long_friendly_name_is_refused(client):
    with twilio_error(400, 20001, "FriendlyName"):
        client.taskrouter.v1.workspaces.create(friendly_name="x" * 65)


def test_create_with_unknown_template_is_refused(client):
    with twilio_error(400, 20001, "Template"):
        client.taskrouter.v1.workspaces.create(friendly_name="Bad", template="LIFO")
    assert client.taskrouter.v1.workspaces.list() == []


def test_create_with_bad_boolean_is_refused(client):
    with twilio_error(400, 20001, "MultiTaskEnabled"):
        client.taskrouter.v1.workspaces.create(friendly_name="Bad", multi_task_enabled="maybe")


def test_create_with_bad_prioritize_queue_order_is_refused(client):
    with twilio_error(400, 20001, "PrioritizeQueueOrder"):
        client.taskrouter.v1.workspaces.create(friendly_name="Bad", prioritize_queue_order="RANDOM")


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://x", "/relative/path", "https://", "example.com/hook"]
)
def test_create_with_non_http_event_callback_url_is_refused(client, url):
    with twilio_error(400, 20001, "EventCallbackUrl"):
        client.taskrouter.v1.workspaces.create(friendly_name="Bad", event_callback_url=url)
    assert client.taskrouter.v1.workspaces.list() == []


def test_update_with_non_http_event_callback_url_is_refused_and_changes_nothing(client):
    ws = client.taskrouter.v1.workspaces.create(
        friendly_name="Hooked", event_callback_url="https://example.com/hook"
    )

    with twilio_error(400, 20001, "EventCallbackUrl"):
        client.taskrouter.v1.workspaces(ws.sid).update(event_callback_url="javascript:alert(1)")

    assert client.taskrouter.v1.workspaces(ws.sid).fetch().event_callback_url == (
        "https://example.com/hook"
    )


def test_create_with_unknown_event_type_in_events_filter_is_refused(client):
    with twilio_error(400, 20001, "EventsFilter", "task.exploded"):
        client.taskrouter.v1.workspaces.create(
            friendly_name="Bad", events_filter="task.created,task.exploded"
        )


def test_update_with_unknown_event_type_in_events_filter_is_refused(client, workspace):
    with twilio_error(400, 20001, "EventsFilter"):
        client.taskrouter.v1.workspaces(workspace.sid).update(events_filter="worker.sneezed")

    assert client.taskrouter.v1.workspaces(workspace.sid).fetch().events_filter is None


def test_update_default_activity_to_another_workspaces_activity_is_refused(client, workspace):
    other = client.taskrouter.v1.workspaces.create(friendly_name="Other")
    foreign = activity_sid(client, other.sid, "Available")

    with twilio_error(400, 20001, "DefaultActivitySid"):
        client.taskrouter.v1.workspaces(workspace.sid).update(default_activity_sid=foreign)

    fetched = client.taskrouter.v1.workspaces(workspace.sid).fetch()
    assert fetched.default_activity_sid == workspace.default_activity_sid


def test_update_timeout_activity_with_malformed_sid_is_refused(client, workspace):
    with twilio_error(400, 20001, "TimeoutActivitySid"):
        client.taskrouter.v1.workspaces(workspace.sid).update(timeout_activity_sid="Offline")


@pytest.mark.parametrize("sid", ["WSnot-a-sid", "WA" + "0" * 32, "ws" + "0" * 32, MISSING["WS"]])
def test_fetch_with_malformed_or_unknown_sid_is_404(client, sid):
    with twilio_error(404, 20404):
        client.taskrouter.v1.workspaces(sid).fetch()


def test_another_accounts_workspace_is_invisible(server, client, workspace):
    stranger = stranger_client(server)

    with twilio_error(404, 20404):
        stranger.taskrouter.v1.workspaces(workspace.sid).fetch()
    with twilio_error(404, 20404):
        stranger.taskrouter.v1.workspaces(workspace.sid).update(friendly_name="Mine now")
    with twilio_error(404, 20404):
        stranger.taskrouter.v1.workspaces(workspace.sid).delete()
    with twilio_error(404, 20404):
        ws_api(stranger, workspace.sid).events.list()
    assert stranger.taskrouter.v1.workspaces.list() == []
    assert client.taskrouter.v1.workspaces(workspace.sid).fetch().friendly_name == (
        "Test Workspace"
    )
