"""Activities through the official twilio client: CRUD, lists, in-use protection, events."""

from __future__ import annotations

import pytest

from tests.api.helpers_config import MISSING, activity_sid, single_event, stranger_client, ws_api
from tests.support.twilio_errors import twilio_error


def test_create_answers_201_and_is_unavailable_by_default(client, workspace):
    response = ws_api(client, workspace.sid).activities.create_with_http_info(friendly_name="Lunch")

    assert response.status_code == 201
    activity = response.data
    assert activity.sid.startswith("WA")
    assert activity.friendly_name == "Lunch"
    assert activity.available is False
    assert activity.workspace_sid == workspace.sid
    assert activity.account_sid == client.username
    assert activity.url == f"{workspace.url}/Activities/{activity.sid}"


def test_create_available_activity(client, workspace):
    activity = ws_api(client, workspace.sid).activities.create(
        friendly_name="Ready", available=True
    )

    assert activity.available is True


def test_fetch_returns_the_activity(client, workspace):
    created = ws_api(client, workspace.sid).activities.create(friendly_name="Training")

    fetched = ws_api(client, workspace.sid).activities(created.sid).fetch()

    assert (fetched.sid, fetched.friendly_name, fetched.available) == (
        created.sid,
        "Training",
        False,
    )


def test_update_renames_and_keeps_availability(client, workspace):
    created = ws_api(client, workspace.sid).activities.create(friendly_name="Ready", available=True)

    updated = ws_api(client, workspace.sid).activities(created.sid).update(friendly_name="Idle")

    assert updated.friendly_name == "Idle"
    assert updated.available is True
    assert ws_api(client, workspace.sid).activities(created.sid).fetch().friendly_name == "Idle"


def test_list_filters_by_friendly_name(client, workspace):
    wanted = activity_sid(client, workspace.sid, "Unavailable")

    found = ws_api(client, workspace.sid).activities.list(friendly_name="Unavailable")

    assert [a.sid for a in found] == [wanted]


@pytest.mark.parametrize(
    ("available", "expected"), [(True, {"Available"}), (False, {"Offline", "Away"})]
)
def test_list_filters_by_availability(client, workspace, available, expected):
    ws_api(client, workspace.sid).activities(
        activity_sid(client, workspace.sid, "Unavailable")
    ).update(friendly_name="Away")

    found = ws_api(client, workspace.sid).activities.list(available=available)

    assert {a.friendly_name for a in found} == expected


def test_list_streams_every_activity_exactly_once_across_pages(client, workspace):
    for i in range(4):
        ws_api(client, workspace.sid).activities.create(friendly_name=f"Extra {i}")

    listed = ws_api(client, workspace.sid).activities.list(page_size=3)

    names = [a.friendly_name for a in listed]
    assert len(names) == 7 == len(set(names))
    assert set(names) >= {"Offline", "Available", "Unavailable", "Extra 0", "Extra 3"}


def test_list_meta_names_the_activities_key(client, workspace):
    page = ws_api(client, workspace.sid).activities.page(page_size=2)
    meta = page._payload["meta"]

    assert meta["key"] == "activities"
    assert (meta["page"], meta["page_size"]) == (0, 2)
    assert meta["url"].startswith(f"{workspace.url}/Activities?")
    assert meta["next_page_url"] is not None
    assert meta["previous_page_url"] is None


def test_delete_answers_204_and_the_activity_is_gone(client, workspace):
    created = ws_api(client, workspace.sid).activities.create(friendly_name="Temporary")

    response = ws_api(client, workspace.sid).activities(created.sid).delete_with_http_info()

    assert response.status_code == 204
    with twilio_error(404, 20404, created.sid):
        ws_api(client, workspace.sid).activities(created.sid).fetch()


def test_former_default_activity_can_be_deleted_once_replaced(client, workspace):
    available = activity_sid(client, workspace.sid, "Available")
    client.taskrouter.v1.workspaces(workspace.sid).update(
        default_activity_sid=available, timeout_activity_sid=available
    )

    ws_api(client, workspace.sid).activities(workspace.default_activity_sid).delete()

    names = {a.friendly_name for a in ws_api(client, workspace.sid).activities.list()}
    assert names == {"Available", "Unavailable"}


# --- events ---------------------------------------------------------------------------------


def test_create_appends_activity_created_event(client, workspace):
    created = ws_api(client, workspace.sid).activities.create(friendly_name="Ready", available=True)

    event = single_event(client, workspace.sid, "activity.created", created.sid)
    assert event.resource_type == "activity"
    assert event.event_data["activity_sid"] == created.sid
    assert event.event_data["activity_name"] == "Ready"
    assert event.event_data["activity_available"] == "true"


def test_rename_appends_activity_updated_event(client, workspace):
    created = ws_api(client, workspace.sid).activities.create(friendly_name="Ready")

    ws_api(client, workspace.sid).activities(created.sid).update(friendly_name="Steady")

    event = single_event(client, workspace.sid, "activity.updated", created.sid)
    assert event.event_data["activity_name"] == "Steady"


def test_delete_appends_activity_deleted_event(client, workspace):
    created = ws_api(client, workspace.sid).activities.create(friendly_name="Gone")

    ws_api(client, workspace.sid).activities(created.sid).delete()

    event = single_event(client, workspace.sid, "activity.deleted", created.sid)
    assert event.event_data["activity_name"] == "Gone"


# --- errors ---------------------------------------------------------------------------------


def test_create_without_friendly_name_is_refused(client, workspace):
    with twilio_error(400, 20001, "FriendlyName"):
        ws_api(client, workspace.sid).activities.create(friendly_name="")


def test_create_with_bad_available_boolean_is_refused(client, workspace):
    with twilio_error(400, 20001, "Available"):
        ws_api(client, workspace.sid).activities.create(friendly_name="Odd", available="perhaps")

    assert ws_api(client, workspace.sid).activities.list(friendly_name="Odd") == []


def test_create_with_duplicate_name_is_refused(client, workspace):
    with twilio_error(400, 20001, "Activity named Available already exists", workspace.sid):
        ws_api(client, workspace.sid).activities.create(friendly_name="Available")

    assert len(ws_api(client, workspace.sid).activities.list(friendly_name="Available")) == 1


def test_rename_to_an_existing_name_is_refused(client, workspace):
    created = ws_api(client, workspace.sid).activities.create(friendly_name="Lunch")

    with twilio_error(400, 20001, "already exists"):
        ws_api(client, workspace.sid).activities(created.sid).update(friendly_name="Offline")

    assert ws_api(client, workspace.sid).activities(created.sid).fetch().friendly_name == "Lunch"


def test_same_name_in_another_workspace_is_allowed(client, workspace):
    other = client.taskrouter.v1.workspaces.create(friendly_name="Other")

    ws_api(client, workspace.sid).activities.create(friendly_name="Lunch")
    ws_api(client, other.sid).activities.create(friendly_name="Lunch")

    assert len(ws_api(client, other.sid).activities.list(friendly_name="Lunch")) == 1


def test_deleting_the_default_activity_is_refused(client, workspace):
    with twilio_error(400, 20001, "DefaultActivity"):
        ws_api(client, workspace.sid).activities(workspace.default_activity_sid).delete()

    ws_api(client, workspace.sid).activities(workspace.default_activity_sid).fetch()


def test_deleting_the_timeout_activity_is_refused(client, workspace):
    unavailable = activity_sid(client, workspace.sid, "Unavailable")
    client.taskrouter.v1.workspaces(workspace.sid).update(timeout_activity_sid=unavailable)

    with twilio_error(400, 20001, "TimeoutActivity"):
        ws_api(client, workspace.sid).activities(unavailable).delete()


def test_deleting_an_activity_a_worker_is_in_is_refused(client, workspace):
    lunch = ws_api(client, workspace.sid).activities.create(friendly_name="Lunch")
    ws_api(client, workspace.sid).workers.create(friendly_name="Alice", activity_sid=lunch.sid)

    with twilio_error(400, 20001, "worker"):
        ws_api(client, workspace.sid).activities(lunch.sid).delete()

    assert ws_api(client, workspace.sid).activities(lunch.sid).fetch().sid == lunch.sid


def test_deleting_a_queues_reservation_activity_is_refused(client, workspace):
    busy = ws_api(client, workspace.sid).activities.create(friendly_name="Busy")
    ws_api(client, workspace.sid).task_queues.create(
        friendly_name="Sales", reservation_activity_sid=busy.sid
    )

    with twilio_error(400, 20001, "task queue"):
        ws_api(client, workspace.sid).activities(busy.sid).delete()


@pytest.mark.parametrize("sid", ["WAshort", "WK" + "0" * 32, MISSING["WA"]])
def test_fetch_with_malformed_or_unknown_sid_is_404(client, workspace, sid):
    with twilio_error(404, 20404):
        ws_api(client, workspace.sid).activities(sid).fetch()


def test_activity_of_another_workspace_is_not_found_here(client, workspace):
    other = client.taskrouter.v1.workspaces.create(friendly_name="Other")
    foreign = activity_sid(client, other.sid, "Available")

    with twilio_error(404, 20404):
        ws_api(client, workspace.sid).activities(foreign).fetch()
    with twilio_error(404, 20404):
        ws_api(client, workspace.sid).activities(foreign).delete()
    assert ws_api(client, other.sid).activities(foreign).fetch().sid == foreign


def test_another_account_cannot_read_or_change_activities(server, client, workspace):
    stranger = stranger_client(server)
    target = activity_sid(client, workspace.sid, "Unavailable")

    with twilio_error(404, 20404):
        ws_api(stranger, workspace.sid).activities(target).fetch()
    with twilio_error(404, 20404):
        ws_api(stranger, workspace.sid).activities(target).update(friendly_name="Hacked")
    with twilio_error(404, 20404):
        ws_api(stranger, workspace.sid).activities.list()
    with twilio_error(404, 20404):
        ws_api(stranger, workspace.sid).activities.create(friendly_name="Planted")

    names = {a.friendly_name for a in ws_api(client, workspace.sid).activities.list()}
    assert names == {"Offline", "Available", "Unavailable"}
