"""Workflows through the official twilio client: CRUD, configuration checks, errors, events."""

from __future__ import annotations

import json

import pytest

from tests.api.helpers_config import MISSING, routing_to, single_event, stranger_client, ws_api
from tests.support.twilio_errors import twilio_error


def _workflows(client, workspace_sid):
    return ws_api(client, workspace_sid).workflows


@pytest.fixture
def queue(client, workspace):
    return ws_api(client, workspace.sid).task_queues.create(friendly_name="Inbox")


def _create(client, workspace_sid, queue_sid, name="Inbound", **settings):
    return _workflows(client, workspace_sid).create(
        friendly_name=name, configuration=routing_to(queue_sid), **settings
    )


def test_create_answers_201_with_twilio_defaults(client, workspace, queue):
    configuration = routing_to(queue.sid, "type == 'call'")

    response = _workflows(client, workspace.sid).create_with_http_info(
        friendly_name="Inbound", configuration=configuration
    )

    assert response.status_code == 201
    workflow = response.data
    assert workflow.sid.startswith("WW")
    assert workflow.friendly_name == "Inbound"
    assert json.loads(workflow.configuration) == json.loads(configuration)
    assert workflow.task_reservation_timeout == 120
    assert workflow.assignment_callback_url is None
    assert workflow.fallback_assignment_callback_url is None
    assert workflow.document_content_type == "application/json"
    assert workflow.url == f"{workspace.url}/Workflows/{workflow.sid}"


def test_create_keeps_callbacks_and_reservation_timeout(client, workspace, queue):
    workflow = _create(
        client,
        workspace.sid,
        queue.sid,
        assignment_callback_url="https://example.com/assign",
        fallback_assignment_callback_url="http://backup.example.com/assign",
        task_reservation_timeout=86400,
    )

    fetched = _workflows(client, workspace.sid)(workflow.sid).fetch()
    assert fetched.assignment_callback_url == "https://example.com/assign"
    assert fetched.fallback_assignment_callback_url == "http://backup.example.com/assign"
    assert fetched.task_reservation_timeout == 86400


def test_update_changes_the_given_fields_only(client, workspace, queue):
    workflow = _create(client, workspace.sid, queue.sid, task_reservation_timeout=30)
    other = ws_api(client, workspace.sid).task_queues.create(friendly_name="Overflow")

    updated = _workflows(client, workspace.sid)(workflow.sid).update(
        friendly_name="Renamed", configuration=routing_to(other.sid), re_evaluate_tasks="true"
    )

    assert updated.friendly_name == "Renamed"
    assert json.loads(updated.configuration)["task_routing"]["default_filter"]["queue"] == (
        other.sid
    )
    assert updated.task_reservation_timeout == 30
    assert _workflows(client, workspace.sid)(workflow.sid).fetch().friendly_name == "Renamed"


def test_list_filters_by_friendly_name(client, workspace, queue):
    inbound = _create(client, workspace.sid, queue.sid, name="Inbound")
    _create(client, workspace.sid, queue.sid, name="Outbound")

    found = _workflows(client, workspace.sid).list(friendly_name="Inbound")

    assert [w.sid for w in found] == [inbound.sid]


def test_list_streams_every_workflow_exactly_once_across_pages(client, workspace, queue):
    created = {_create(client, workspace.sid, queue.sid, name=f"W{i}").sid for i in range(5)}

    listed = [w.sid for w in _workflows(client, workspace.sid).list(page_size=2)]

    assert len(listed) == 5
    assert set(listed) == created


def test_list_meta_names_the_workflows_key(client, workspace, queue):
    _create(client, workspace.sid, queue.sid)

    meta = _workflows(client, workspace.sid).page(page_size=10)._payload["meta"]

    assert meta["key"] == "workflows"
    assert (meta["page"], meta["page_size"]) == (0, 10)
    assert (meta["next_page_url"], meta["previous_page_url"]) == (None, None)


def test_delete_answers_204_and_the_workflow_is_gone(client, workspace, queue):
    workflow = _create(client, workspace.sid, queue.sid)

    response = _workflows(client, workspace.sid)(workflow.sid).delete_with_http_info()

    assert response.status_code == 204
    with twilio_error(404, 20404, workflow.sid):
        _workflows(client, workspace.sid)(workflow.sid).fetch()


def test_queue_can_be_deleted_once_no_workflow_routes_to_it(client, workspace, queue):
    workflow = _create(client, workspace.sid, queue.sid)
    _workflows(client, workspace.sid)(workflow.sid).delete()

    ws_api(client, workspace.sid).task_queues(queue.sid).delete()

    assert ws_api(client, workspace.sid).task_queues.list() == []


def test_deleting_a_workflow_with_an_active_task_is_refused(client, workspace, queue):
    workflow = _create(client, workspace.sid, queue.sid)
    ws_api(client, workspace.sid).tasks.create(workflow_sid=workflow.sid)

    with twilio_error(400, 20001, "active task"):
        _workflows(client, workspace.sid)(workflow.sid).delete()

    assert _workflows(client, workspace.sid)(workflow.sid).fetch().sid == workflow.sid


# --- events ---------------------------------------------------------------------------------


def test_create_appends_workflow_created_event(client, workspace, queue):
    workflow = _create(client, workspace.sid, queue.sid)

    event = single_event(client, workspace.sid, "workflow.created", workflow.sid)
    assert event.resource_type == "workflow"
    assert event.event_data["workflow_sid"] == workflow.sid
    assert event.event_data["workflow_name"] == "Inbound"


def test_update_appends_workflow_updated_event(client, workspace, queue):
    workflow = _create(client, workspace.sid, queue.sid)

    _workflows(client, workspace.sid)(workflow.sid).update(friendly_name="Renamed")

    event = single_event(client, workspace.sid, "workflow.updated", workflow.sid)
    assert event.event_data["workflow_name"] == "Renamed"


def test_delete_appends_workflow_deleted_event(client, workspace, queue):
    workflow = _create(client, workspace.sid, queue.sid)

    _workflows(client, workspace.sid)(workflow.sid).delete()

    event = single_event(client, workspace.sid, "workflow.deleted", workflow.sid)
    assert event.event_data["workflow_name"] == "Inbound"


def test_events_can_be_filtered_by_workflow_sid(client, workspace, queue):
    workflow = _create(client, workspace.sid, queue.sid)
    _create(client, workspace.sid, queue.sid, name="Other")
    _workflows(client, workspace.sid)(workflow.sid).update(friendly_name="Renamed")

    found = ws_api(client, workspace.sid).events.list(workflow_sid=workflow.sid)

    assert sorted(e.event_type for e in found) == ["workflow.created", "workflow.updated"]


# --- errors ---------------------------------------------------------------------------------


def test_create_without_configuration_is_refused(client, workspace):
    with twilio_error(400, 20001, "Configuration"):
        _workflows(client, workspace.sid).create(friendly_name="Inbound", configuration="")


def test_create_without_friendly_name_is_refused(client, workspace, queue):
    with twilio_error(400, 20001, "FriendlyName"):
        _workflows(client, workspace.sid).create(
            friendly_name="", configuration=routing_to(queue.sid)
        )


def test_configuration_that_is_not_json_is_refused(client, workspace):
    with twilio_error(400, 20001, "Configuration must be valid JSON"):
        _workflows(client, workspace.sid).create(
            friendly_name="Inbound", configuration="{task_routing:"
        )


def test_configuration_without_task_routing_is_refused(client, workspace, queue):
    configuration = json.dumps({"routing": {"default_filter": {"queue": queue.sid}}})

    with twilio_error(400, 20001, "task_routing"):
        _workflows(client, workspace.sid).create(
            friendly_name="Inbound", configuration=configuration
        )


def test_configuration_routing_to_an_unknown_queue_is_refused(client, workspace):
    with twilio_error(400, 20001, MISSING["WQ"]):
        _workflows(client, workspace.sid).create(
            friendly_name="Inbound", configuration=routing_to(MISSING["WQ"])
        )


def test_configuration_routing_to_another_workspaces_queue_is_refused(client, workspace):
    other = client.taskrouter.v1.workspaces.create(friendly_name="Other")
    foreign = ws_api(client, other.sid).task_queues.create(friendly_name="Theirs")

    with twilio_error(400, 20001, foreign.sid, workspace.sid):
        _workflows(client, workspace.sid).create(
            friendly_name="Inbound", configuration=routing_to(foreign.sid)
        )

    assert _workflows(client, workspace.sid).list() == []


def test_configuration_target_that_is_not_a_queue_sid_is_refused(client, workspace):
    configuration = json.dumps({"task_routing": {"default_filter": {"queue": "Sales"}}})

    with twilio_error(400, 20001, "default_filter.queue"):
        _workflows(client, workspace.sid).create(
            friendly_name="Inbound", configuration=configuration
        )


def test_bad_filter_expression_is_refused_with_its_position(client, workspace, queue):
    with twilio_error(400, 20001, "position 8"):
        _workflows(client, workspace.sid).create(
            friendly_name="Inbound", configuration=routing_to(queue.sid, "type == 'call")
        )


def test_bad_target_expression_is_refused(client, workspace, queue):
    configuration = json.dumps(
        {
            "task_routing": {
                "filters": [
                    {
                        "expression": "1==1",
                        "targets": [{"queue": queue.sid, "expression": "worker.level >>> 2"}],
                    }
                ]
            }
        }
    )

    with twilio_error(400, 20001, "position"):
        _workflows(client, workspace.sid).create(
            friendly_name="Inbound", configuration=configuration
        )


def test_update_with_invalid_configuration_changes_nothing(client, workspace, queue):
    workflow = _create(client, workspace.sid, queue.sid)

    with twilio_error(400, 20001, "Configuration"):
        _workflows(client, workspace.sid)(workflow.sid).update(
            friendly_name="Renamed", configuration="[]"
        )

    fetched = _workflows(client, workspace.sid)(workflow.sid).fetch()
    assert fetched.friendly_name == "Inbound"
    assert json.loads(fetched.configuration) == json.loads(routing_to(queue.sid))


@pytest.mark.parametrize("timeout", [0, 86401, -5])
def test_out_of_range_task_reservation_timeout_is_refused(client, workspace, queue, timeout):
    with twilio_error(400, 20001, "TaskReservationTimeout"):
        _create(client, workspace.sid, queue.sid, task_reservation_timeout=timeout)


def test_update_with_out_of_range_task_reservation_timeout_is_refused(client, workspace, queue):
    workflow = _create(client, workspace.sid, queue.sid)

    with twilio_error(400, 20001, "TaskReservationTimeout"):
        _workflows(client, workspace.sid)(workflow.sid).update(task_reservation_timeout=86401)

    assert _workflows(client, workspace.sid)(workflow.sid).fetch().task_reservation_timeout == 120


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x", "file:///etc/passwd"])
def test_non_http_assignment_callback_url_is_refused(client, workspace, queue, url):
    with twilio_error(400, 20001, "AssignmentCallbackUrl"):
        _create(client, workspace.sid, queue.sid, assignment_callback_url=url)


def test_non_http_fallback_assignment_callback_url_is_refused(client, workspace, queue):
    with twilio_error(400, 20001, "FallbackAssignmentCallbackUrl"):
        _create(client, workspace.sid, queue.sid, fallback_assignment_callback_url="ftp://x")


def test_bad_re_evaluate_tasks_boolean_is_refused(client, workspace, queue):
    workflow = _create(client, workspace.sid, queue.sid)

    with twilio_error(400, 20001, "ReEvaluateTasks"):
        _workflows(client, workspace.sid)(workflow.sid).update(re_evaluate_tasks="often")


def test_create_with_duplicate_name_is_refused(client, workspace, queue):
    _create(client, workspace.sid, queue.sid)

    with twilio_error(400, 20001, "Workflow named Inbound already exists", workspace.sid):
        _create(client, workspace.sid, queue.sid)

    assert len(_workflows(client, workspace.sid).list()) == 1


def test_rename_to_an_existing_name_is_refused(client, workspace, queue):
    _create(client, workspace.sid, queue.sid, name="Inbound")
    outbound = _create(client, workspace.sid, queue.sid, name="Outbound")

    with twilio_error(400, 20001, "already exists"):
        _workflows(client, workspace.sid)(outbound.sid).update(friendly_name="Inbound")


@pytest.mark.parametrize("sid", ["WWxyz", "WQ" + "0" * 32, MISSING["WW"]])
def test_fetch_with_malformed_or_unknown_sid_is_404(client, workspace, sid):
    with twilio_error(404, 20404):
        _workflows(client, workspace.sid)(sid).fetch()


def test_workflow_of_another_workspace_is_not_found_here(client, workspace):
    other = client.taskrouter.v1.workspaces.create(friendly_name="Other", template="FIFO")
    (foreign,) = _workflows(client, other.sid).list()

    with twilio_error(404, 20404):
        _workflows(client, workspace.sid)(foreign.sid).fetch()
    with twilio_error(404, 20404):
        _workflows(client, workspace.sid)(foreign.sid).delete()
    assert _workflows(client, other.sid)(foreign.sid).fetch().sid == foreign.sid


def test_another_account_cannot_read_or_change_workflows(server, client, workspace, queue):
    workflow = _create(client, workspace.sid, queue.sid)
    stranger = stranger_client(server)

    with twilio_error(404, 20404):
        _workflows(stranger, workspace.sid)(workflow.sid).fetch()
    with twilio_error(404, 20404):
        _workflows(stranger, workspace.sid)(workflow.sid).update(friendly_name="Mine")
    with twilio_error(404, 20404):
        _workflows(stranger, workspace.sid).list()

    assert _workflows(client, workspace.sid)(workflow.sid).fetch().friendly_name == "Inbound"
