"""Task queues through the official twilio client: CRUD, eligibility filters, errors, events."""

from __future__ import annotations

import json

import pytest

from tests.api.helpers_config import (
    MISSING,
    activity_sid,
    event_types,
    routing_to,
    single_event,
    stranger_client,
    ws_api,
)
from tests.support.twilio_errors import twilio_error


def _queues(client, workspace_sid):
    return ws_api(client, workspace_sid).task_queues


def _skill_queues(client, workspace_sid):
    """Three queues: sales-skilled workers, support-skilled workers, everyone."""
    queues = _queues(client, workspace_sid)
    return {
        "sales": queues.create(friendly_name="Sales", target_workers="skills HAS 'sales'").sid,
        "support": queues.create(
            friendly_name="Support", target_workers="skills HAS 'support'"
        ).sid,
        "all": queues.create(friendly_name="Everyone", target_workers="1==1").sid,
    }


def test_create_answers_201_with_twilio_defaults(client, workspace):
    response = _queues(client, workspace.sid).create_with_http_info(friendly_name="Sales")

    assert response.status_code == 201
    queue = response.data
    assert queue.sid.startswith("WQ")
    assert queue.friendly_name == "Sales"
    assert queue.target_workers == "1==1"
    assert queue.max_reserved_workers == 1
    assert queue.task_order == "FIFO"
    assert queue.reservation_activity_sid is None
    assert queue.assignment_activity_sid is None
    assert queue.url == f"{workspace.url}/TaskQueues/{queue.sid}"


def test_create_keeps_every_given_setting(client, workspace):
    busy = activity_sid(client, workspace.sid, "Unavailable")
    ready = activity_sid(client, workspace.sid, "Available")

    queue = _queues(client, workspace.sid).create(
        friendly_name="Sales",
        target_workers="languages HAS 'fr'",
        max_reserved_workers=50,
        task_order="LIFO",
        reservation_activity_sid=busy,
        assignment_activity_sid=ready,
    )

    fetched = _queues(client, workspace.sid)(queue.sid).fetch()
    assert fetched.target_workers == "languages HAS 'fr'"
    assert fetched.max_reserved_workers == 50
    assert fetched.task_order == "LIFO"
    assert (fetched.reservation_activity_sid, fetched.reservation_activity_name) == (
        busy,
        "Unavailable",
    )
    assert (fetched.assignment_activity_sid, fetched.assignment_activity_name) == (
        ready,
        "Available",
    )
    assert fetched.links["reservation_activity"].endswith(f"/Activities/{busy}")


def test_update_changes_the_given_fields_only(client, workspace):
    queue = _queues(client, workspace.sid).create(friendly_name="Sales", max_reserved_workers=3)

    updated = _queues(client, workspace.sid)(queue.sid).update(
        friendly_name="Inside Sales", target_workers="team == 'inside'", task_order="LIFO"
    )

    assert updated.friendly_name == "Inside Sales"
    assert updated.target_workers == "team == 'inside'"
    assert updated.task_order == "LIFO"
    assert updated.max_reserved_workers == 3
    assert _queues(client, workspace.sid)(queue.sid).fetch().friendly_name == "Inside Sales"


def test_list_filters_by_friendly_name(client, workspace):
    sales = _queues(client, workspace.sid).create(friendly_name="Sales")
    _queues(client, workspace.sid).create(friendly_name="Support")

    found = _queues(client, workspace.sid).list(friendly_name="Sales")

    assert [q.sid for q in found] == [sales.sid]


def test_list_evaluate_worker_attributes_returns_queues_that_would_accept_them(client, workspace):
    sids = _skill_queues(client, workspace.sid)

    found = _queues(client, workspace.sid).list(
        evaluate_worker_attributes=json.dumps({"skills": ["sales"]})
    )

    assert {q.sid for q in found} == {sids["sales"], sids["all"]}


def test_list_worker_sid_returns_queues_that_accept_that_worker(client, workspace):
    sids = _skill_queues(client, workspace.sid)
    worker = ws_api(client, workspace.sid).workers.create(
        friendly_name="Alice", attributes=json.dumps({"skills": ["support"]})
    )

    found = _queues(client, workspace.sid).list(worker_sid=worker.sid)

    assert {q.sid for q in found} == {sids["support"], sids["all"]}


def test_list_worker_sid_of_unknown_worker_returns_nothing(client, workspace):
    _skill_queues(client, workspace.sid)

    assert _queues(client, workspace.sid).list(worker_sid=MISSING["WK"]) == []


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("FriendlyName:asc", ["Apple", "Mango", "Zebra"]),
        ("FriendlyName:desc", ["Zebra", "Mango", "Apple"]),
        ("DateCreated:desc", ["Apple", "Zebra", "Mango"]),
        ("DateCreated:asc", ["Mango", "Zebra", "Apple"]),
    ],
)
def test_list_ordering(client, workspace, ordering, expected):
    for name in ("Mango", "Zebra", "Apple"):
        _queues(client, workspace.sid).create(friendly_name=name)

    found = _queues(client, workspace.sid).list(ordering=ordering, page_size=2)

    assert [q.friendly_name for q in found] == expected


def test_list_streams_every_queue_exactly_once_across_pages(client, workspace):
    created = {_queues(client, workspace.sid).create(friendly_name=f"Q{i}").sid for i in range(5)}

    listed = [q.sid for q in _queues(client, workspace.sid).list(page_size=2)]

    assert len(listed) == 5
    assert set(listed) == created


def test_list_meta_names_the_task_queues_key(client, workspace):
    _queues(client, workspace.sid).create(friendly_name="Sales")

    page = _queues(client, workspace.sid).page(page_size=5, friendly_name="Sales")
    meta = page._payload["meta"]

    assert meta["key"] == "task_queues"
    assert (meta["page"], meta["page_size"]) == (0, 5)
    assert "FriendlyName=Sales" in meta["url"]
    assert (meta["next_page_url"], meta["previous_page_url"]) == (None, None)


def test_delete_answers_204_and_the_queue_is_gone(client, workspace):
    queue = _queues(client, workspace.sid).create(friendly_name="Sales")

    response = _queues(client, workspace.sid)(queue.sid).delete_with_http_info()

    assert response.status_code == 204
    with twilio_error(404, 20404, queue.sid):
        _queues(client, workspace.sid)(queue.sid).fetch()


# --- events ---------------------------------------------------------------------------------


def test_create_appends_task_queue_created_event(client, workspace):
    queue = _queues(client, workspace.sid).create(
        friendly_name="Sales", target_workers="skills HAS 'sales'"
    )

    event = single_event(client, workspace.sid, "task-queue.created", queue.sid)
    assert event.resource_type == "task_queue"
    assert event.event_data["task_queue_sid"] == queue.sid
    assert event.event_data["task_queue_name"] == "Sales"
    assert event.event_data["task_queue_target_expression"] == "skills HAS 'sales'"


def test_changing_target_workers_appends_task_queue_expression_updated(client, workspace):
    queue = _queues(client, workspace.sid).create(friendly_name="Sales")

    _queues(client, workspace.sid)(queue.sid).update(target_workers="level > 2")

    event = single_event(client, workspace.sid, "task-queue.expression.updated", queue.sid)
    assert event.event_data["task_queue_target_expression"] == "level > 2"


def test_renaming_a_queue_appends_no_expression_event(client, workspace):
    queue = _queues(client, workspace.sid).create(friendly_name="Sales")

    _queues(client, workspace.sid)(queue.sid).update(friendly_name="Sales EMEA")

    assert "task-queue.expression.updated" not in event_types(client, workspace.sid)


def test_delete_appends_task_queue_deleted_event(client, workspace):
    queue = _queues(client, workspace.sid).create(friendly_name="Sales")

    _queues(client, workspace.sid)(queue.sid).delete()

    event = single_event(client, workspace.sid, "task-queue.deleted", queue.sid)
    assert event.event_data["task_queue_name"] == "Sales"


# --- errors ---------------------------------------------------------------------------------


def test_create_without_friendly_name_is_refused(client, workspace):
    with twilio_error(400, 20001, "FriendlyName"):
        _queues(client, workspace.sid).create(friendly_name="")


@pytest.mark.parametrize("value", [0, 51, -1])
def test_create_with_out_of_range_max_reserved_workers_is_refused(client, workspace, value):
    with twilio_error(400, 20001, "MaxReservedWorkers"):
        _queues(client, workspace.sid).create(friendly_name="Sales", max_reserved_workers=value)

    assert _queues(client, workspace.sid).list() == []


def test_create_with_non_integer_max_reserved_workers_is_refused(client, workspace):
    with twilio_error(400, 20001, "MaxReservedWorkers"):
        _queues(client, workspace.sid).create(friendly_name="Sales", max_reserved_workers="two")


def test_update_with_out_of_range_max_reserved_workers_changes_nothing(client, workspace):
    queue = _queues(client, workspace.sid).create(friendly_name="Sales", max_reserved_workers=5)

    with twilio_error(400, 20001, "MaxReservedWorkers"):
        _queues(client, workspace.sid)(queue.sid).update(
            max_reserved_workers=51, friendly_name="Changed"
        )

    fetched = _queues(client, workspace.sid)(queue.sid).fetch()
    assert (fetched.max_reserved_workers, fetched.friendly_name) == (5, "Sales")


@pytest.mark.parametrize("order", ["RANDOM", "fifo", ""])
def test_create_with_bad_task_order_is_refused(client, workspace, order):
    with twilio_error(400, 20001, "TaskOrder"):
        _queues(client, workspace.sid).create(friendly_name="Sales", task_order=order)


def test_create_with_duplicate_name_is_refused(client, workspace):
    _queues(client, workspace.sid).create(friendly_name="Sales")

    with twilio_error(400, 20001, "Queue named Sales already exists", workspace.sid):
        _queues(client, workspace.sid).create(friendly_name="Sales")

    assert len(_queues(client, workspace.sid).list()) == 1


def test_rename_to_an_existing_name_is_refused(client, workspace):
    _queues(client, workspace.sid).create(friendly_name="Sales")
    support = _queues(client, workspace.sid).create(friendly_name="Support")

    with twilio_error(400, 20001, "already exists"):
        _queues(client, workspace.sid)(support.sid).update(friendly_name="Sales")


def test_create_with_bad_target_workers_expression_names_the_position(client, workspace):
    with twilio_error(400, 20001, "position"):
        _queues(client, workspace.sid).create(
            friendly_name="Sales", target_workers="skills HAS 'sales"
        )


def test_update_with_bad_target_workers_changes_nothing(client, workspace):
    queue = _queues(client, workspace.sid).create(friendly_name="Sales", target_workers="a == 1")

    with twilio_error(400, 20001, "position"):
        _queues(client, workspace.sid)(queue.sid).update(target_workers="a == == 1")

    assert _queues(client, workspace.sid)(queue.sid).fetch().target_workers == "a == 1"


def test_reservation_activity_of_another_workspace_is_refused(client, workspace):
    other = client.taskrouter.v1.workspaces.create(friendly_name="Other")
    foreign = activity_sid(client, other.sid, "Unavailable")

    with twilio_error(400, 20001, "ReservationActivitySid"):
        _queues(client, workspace.sid).create(
            friendly_name="Sales", reservation_activity_sid=foreign
        )


def test_assignment_activity_that_is_not_a_sid_is_refused(client, workspace):
    with twilio_error(400, 20001, "AssignmentActivitySid"):
        _queues(client, workspace.sid).create(
            friendly_name="Sales", assignment_activity_sid="Available"
        )


def test_evaluate_worker_attributes_that_is_not_json_is_refused(client, workspace):
    with twilio_error(400, 20001, "EvaluateWorkerAttributes"):
        _queues(client, workspace.sid).list(evaluate_worker_attributes="{skills:")


def test_unknown_ordering_is_refused(client, workspace):
    with twilio_error(400, 20001, "Ordering"):
        _queues(client, workspace.sid).list(ordering="Priority:asc")


def test_deleting_a_queue_a_workflow_routes_to_is_refused(client, workspace):
    queue = _queues(client, workspace.sid).create(friendly_name="Sales")
    ws_api(client, workspace.sid).workflows.create(
        friendly_name="Inbound", configuration=routing_to(queue.sid)
    )

    with twilio_error(400, 20001, "Inbound"):
        _queues(client, workspace.sid)(queue.sid).delete()

    assert _queues(client, workspace.sid)(queue.sid).fetch().sid == queue.sid


@pytest.mark.parametrize("sid", ["WQ123", "WW" + "0" * 32, MISSING["WQ"]])
def test_fetch_with_malformed_or_unknown_sid_is_404(client, workspace, sid):
    with twilio_error(404, 20404):
        _queues(client, workspace.sid)(sid).fetch()


def test_queue_of_another_workspace_is_not_found_here(client, workspace):
    other = client.taskrouter.v1.workspaces.create(friendly_name="Other")
    foreign = _queues(client, other.sid).create(friendly_name="Sales")

    with twilio_error(404, 20404):
        _queues(client, workspace.sid)(foreign.sid).fetch()
    with twilio_error(404, 20404):
        _queues(client, workspace.sid)(foreign.sid).update(friendly_name="Mine")
    assert _queues(client, other.sid)(foreign.sid).fetch().friendly_name == "Sales"


def test_another_account_cannot_read_or_change_queues(server, client, workspace):
    queue = _queues(client, workspace.sid).create(friendly_name="Sales")
    stranger = stranger_client(server)

    with twilio_error(404, 20404):
        _queues(stranger, workspace.sid)(queue.sid).fetch()
    with twilio_error(404, 20404):
        _queues(stranger, workspace.sid)(queue.sid).delete()
    with twilio_error(404, 20404):
        _queues(stranger, workspace.sid).list()

    assert _queues(client, workspace.sid)(queue.sid).fetch().sid == queue.sid
