"""Workers and worker channels through the official twilio client."""

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

DEFAULT_CHANNELS = ["chat", "default", "sms", "video", "voice"]


def _workers(client, workspace_sid):
    return ws_api(client, workspace_sid).workers


def _hire(client, workspace_sid, name="Alice", **fields):
    return _workers(client, workspace_sid).create(friendly_name=name, **fields)


def _names(workers):
    return [w.friendly_name for w in workers]


def _etag(response):
    return {name.lower(): value for name, value in response.headers.items()}["etag"]


def _delete_if_match(client, worker, etag):
    """DELETE with If-Match, sent by hand: twilio-python 9.13 drops the header on delete."""
    return client.request("DELETE", worker.url, headers={"If-Match": etag})


# --- create, fetch, update, delete ----------------------------------------------------------


def test_create_answers_201_in_the_default_activity(client, workspace):
    response = _workers(client, workspace.sid).create_with_http_info(friendly_name="Alice")

    assert response.status_code == 201
    assert _etag(response) == '"0"'
    worker = response.data
    assert worker.sid.startswith("WK")
    assert worker.friendly_name == "Alice"
    assert worker.attributes == "{}"
    assert (worker.activity_sid, worker.activity_name) == (
        workspace.default_activity_sid,
        "Offline",
    )
    assert worker.available is False
    assert worker.date_status_changed == worker.date_created
    assert worker.url == f"{workspace.url}/Workers/{worker.sid}"
    assert worker.links["channels"] == f"{worker.url}/Channels"


def test_create_in_an_available_activity_with_attributes(client, workspace):
    available = activity_sid(client, workspace.sid, "Available")
    attributes = json.dumps({"skills": ["sales"], "level": 3})

    worker = _hire(client, workspace.sid, activity_sid=available, attributes=attributes)

    assert worker.activity_name == "Available"
    assert worker.available is True
    assert json.loads(worker.attributes) == {"skills": ["sales"], "level": 3}


def test_create_follows_the_workspaces_current_default_activity(client, workspace):
    unavailable = activity_sid(client, workspace.sid, "Unavailable")
    client.taskrouter.v1.workspaces(workspace.sid).update(default_activity_sid=unavailable)

    worker = _hire(client, workspace.sid)

    assert worker.activity_sid == unavailable


def test_fetch_returns_the_worker_and_its_etag(client, workspace):
    worker = _hire(client, workspace.sid)

    response = _workers(client, workspace.sid)(worker.sid).fetch_with_http_info()

    assert _etag(response) == '"0"'
    assert response.data.sid == worker.sid
    assert response.data.friendly_name == "Alice"


def test_changing_activity_makes_the_worker_follow_its_availability(client, workspace):
    worker = _hire(client, workspace.sid)
    available = activity_sid(client, workspace.sid, "Available")

    updated = _workers(client, workspace.sid)(worker.sid).update(activity_sid=available)

    assert (updated.activity_sid, updated.activity_name, updated.available) == (
        available,
        "Available",
        True,
    )
    fetched = _workers(client, workspace.sid)(worker.sid).fetch()
    assert (fetched.activity_name, fetched.available) == ("Available", True)


def test_changing_activity_moves_date_status_changed_and_attributes_do_not(client, workspace):
    first = _hire(client, workspace.sid, "First")
    second = _hire(client, workspace.sid, "Second")
    available = activity_sid(client, workspace.sid, "Available")

    _workers(client, workspace.sid)(first.sid).update(activity_sid=available)
    _workers(client, workspace.sid)(second.sid).update(attributes='{"moved": false}')

    by_created = _workers(client, workspace.sid).list(ordering="DateCreated:asc")
    by_status = _workers(client, workspace.sid).list(ordering="DateStatusChanged:asc")
    assert _names(by_created) == ["First", "Second"]
    assert _names(by_status) == ["Second", "First"]
    fetched = _workers(client, workspace.sid)(first.sid).fetch()
    assert fetched.date_status_changed >= first.date_status_changed


def test_update_renames_and_replaces_attributes(client, workspace):
    worker = _hire(client, workspace.sid, attributes='{"a": 1}')

    updated = _workers(client, workspace.sid)(worker.sid).update(
        friendly_name="Alicia", attributes='{"b": 2}'
    )

    assert updated.friendly_name == "Alicia"
    assert json.loads(updated.attributes) == {"b": 2}
    assert updated.activity_sid == worker.activity_sid


def test_each_change_increments_the_etag(client, workspace):
    worker = _hire(client, workspace.sid)
    context = _workers(client, workspace.sid)(worker.sid)

    context.update(attributes='{"v": 1}')
    response = context.update_with_http_info(attributes='{"v": 2}')

    assert _etag(response) == '"2"'


def test_update_with_current_if_match_succeeds(client, workspace):
    worker = _hire(client, workspace.sid)
    context = _workers(client, workspace.sid)(worker.sid)
    etag = _etag(context.fetch_with_http_info())

    updated = context.update(if_match=etag, friendly_name="Alicia")

    assert updated.friendly_name == "Alicia"


def test_update_with_stale_if_match_is_refused_and_changes_nothing(client, workspace):
    worker = _hire(client, workspace.sid)
    context = _workers(client, workspace.sid)(worker.sid)
    stale = _etag(context.fetch_with_http_info())
    context.update(attributes='{"edited": "elsewhere"}')
    available = activity_sid(client, workspace.sid, "Available")

    with twilio_error(412, 20412):
        context.update(if_match=stale, activity_sid=available, friendly_name="Lost update")

    fetched = context.fetch()
    assert (fetched.friendly_name, fetched.activity_name) == ("Alice", "Offline")
    assert json.loads(fetched.attributes) == {"edited": "elsewhere"}
    assert "worker.activity.update" not in event_types(client, workspace.sid)


def test_delete_with_stale_if_match_is_refused_and_keeps_the_worker(client, workspace):
    worker = _hire(client, workspace.sid)
    context = _workers(client, workspace.sid)(worker.sid)
    context.update(attributes='{"v": 1}')

    response = _delete_if_match(client, worker, '"0"')

    assert response.status_code == 412
    assert json.loads(response.text)["code"] == 20412
    assert context.fetch().sid == worker.sid


def test_delete_with_current_if_match_succeeds(client, workspace):
    worker = _hire(client, workspace.sid)
    context = _workers(client, workspace.sid)(worker.sid)
    context.update(attributes='{"v": 1}')

    response = _delete_if_match(client, worker, '"1"')

    assert response.status_code == 204
    with twilio_error(404, 20404):
        context.fetch()


def test_delete_answers_204_and_the_worker_and_its_channels_are_gone(client, workspace):
    worker = _hire(client, workspace.sid)

    response = _workers(client, workspace.sid)(worker.sid).delete_with_http_info()

    assert response.status_code == 204
    with twilio_error(404, 20404, worker.sid):
        _workers(client, workspace.sid)(worker.sid).fetch()
    with twilio_error(404, 20404):
        _workers(client, workspace.sid)(worker.sid).worker_channels.list()


def test_a_worker_name_can_be_reused_after_delete(client, workspace):
    first = _hire(client, workspace.sid)
    _workers(client, workspace.sid)(first.sid).delete()

    second = _hire(client, workspace.sid)

    assert second.sid != first.sid


# --- list -----------------------------------------------------------------------------------


@pytest.fixture
def team(client, workspace):
    """Three workers: Ann (available, sales), Bob (offline, support), Cid (unavailable)."""
    available = activity_sid(client, workspace.sid, "Available")
    unavailable = activity_sid(client, workspace.sid, "Unavailable")
    return {
        "Ann": _hire(
            client, workspace.sid, "Ann", activity_sid=available, attributes='{"skill": "sales"}'
        ).sid,
        "Bob": _hire(client, workspace.sid, "Bob", attributes='{"skill": "support"}').sid,
        "Cid": _hire(client, workspace.sid, "Cid", activity_sid=unavailable).sid,
    }


def test_list_filters_by_activity_name(client, workspace, team):
    assert _names(_workers(client, workspace.sid).list(activity_name="Offline")) == ["Bob"]


def test_list_filters_by_activity_sid(client, workspace, team):
    unavailable = activity_sid(client, workspace.sid, "Unavailable")

    assert _names(_workers(client, workspace.sid).list(activity_sid=unavailable)) == ["Cid"]


@pytest.mark.parametrize(
    ("value", "expected"), [("true", ["Ann"]), ("1", ["Ann"]), ("false", ["Bob", "Cid"])]
)
def test_list_filters_by_availability(client, workspace, team, value, expected):
    assert _names(_workers(client, workspace.sid).list(available=value)) == expected


def test_list_filters_by_friendly_name(client, workspace, team):
    found = _workers(client, workspace.sid).list(friendly_name="Bob")

    assert [w.sid for w in found] == [team["Bob"]]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("skill == 'sales'", ["Ann"]),
        ("skill IN ['sales', 'support']", ["Ann", "Bob"]),
        ("friendly_name == 'Cid'", ["Cid"]),
        ("activity_name == 'Offline'", ["Bob"]),
        ("activity_name != 'Offline' AND skill != 'sales'", ["Cid"]),
    ],
)
def test_list_filters_by_target_workers_expression(client, workspace, team, expression, expected):
    found = _workers(client, workspace.sid).list(target_workers_expression=expression)

    assert _names(found) == expected


def test_target_workers_expression_can_name_the_worker_sid(client, workspace, team):
    found = _workers(client, workspace.sid).list(
        target_workers_expression=f"sid == '{team['Bob']}'"
    )

    assert _names(found) == ["Bob"]


def test_list_filters_by_task_queue_sid_and_name(client, workspace, team):
    queue = ws_api(client, workspace.sid).task_queues.create(
        friendly_name="Support", target_workers="skill == 'support'"
    )

    by_sid = _workers(client, workspace.sid).list(task_queue_sid=queue.sid)
    by_name = _workers(client, workspace.sid).list(task_queue_name="Support")

    assert _names(by_sid) == _names(by_name) == ["Bob"]


def test_list_by_unknown_task_queue_name_is_empty(client, workspace, team):
    assert _workers(client, workspace.sid).list(task_queue_name="Nobody's queue") == []


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("FriendlyName:desc", ["Cid", "Bob", "Ann"]),
        ("FriendlyName:asc", ["Ann", "Bob", "Cid"]),
        ("DateCreated:desc", ["Cid", "Bob", "Ann"]),
    ],
)
def test_list_ordering(client, workspace, team, ordering, expected):
    assert _names(_workers(client, workspace.sid).list(ordering=ordering, page_size=2)) == expected


def test_list_streams_every_worker_exactly_once_across_pages(client, workspace):
    created = {_hire(client, workspace.sid, f"W{i}").sid for i in range(5)}

    listed = [w.sid for w in _workers(client, workspace.sid).list(page_size=2)]

    assert len(listed) == 5
    assert set(listed) == created


def test_filtered_list_pages_through_matches_only(client, workspace):
    for i in range(6):
        _hire(client, workspace.sid, f"W{i}", attributes=json.dumps({"even": i % 2 == 0}))

    found = _workers(client, workspace.sid).list(
        target_workers_expression="even == true", page_size=2
    )

    assert _names(found) == ["W0", "W2", "W4"]


def test_list_meta_names_the_workers_key(client, workspace, team):
    page = _workers(client, workspace.sid).page(page_size=2, activity_name="Offline")
    meta = page._payload["meta"]

    assert meta["key"] == "workers"
    assert (meta["page"], meta["page_size"]) == (0, 2)
    assert "ActivityName=Offline" in meta["url"]
    assert meta["next_page_url"] is None


# --- events ---------------------------------------------------------------------------------


def test_create_appends_worker_created_event(client, workspace):
    worker = _hire(client, workspace.sid, attributes='{"skill": "sales"}')

    event = single_event(client, workspace.sid, "worker.created", worker.sid)
    assert event.resource_type == "worker"
    assert event.event_data["worker_sid"] == worker.sid
    assert event.event_data["worker_name"] == "Alice"
    assert event.event_data["worker_activity_name"] == "Offline"
    assert event.event_data["worker_attributes"] == '{"skill": "sales"}'


def test_activity_change_appends_worker_activity_update_with_the_previous_activity(
    client, workspace
):
    worker = _hire(client, workspace.sid)
    available = activity_sid(client, workspace.sid, "Available")

    _workers(client, workspace.sid)(worker.sid).update(activity_sid=available)

    event = single_event(client, workspace.sid, "worker.activity.update", worker.sid)
    data = event.event_data
    assert (data["worker_activity_sid"], data["worker_activity_name"]) == (available, "Available")
    assert data["worker_previous_activity_sid"] == workspace.default_activity_sid
    assert data["worker_previous_activity_name"] == "Offline"
    assert data["worker_time_in_previous_activity"].isdigit()
    assert data["worker_time_in_previous_activity_ms"].isdigit()
    assert int(data["worker_time_in_previous_activity"]) == (
        int(data["worker_time_in_previous_activity_ms"]) // 1000
    )
    assert event.description == "Worker Alice updated to Available Activity"


def test_setting_the_same_activity_appends_no_activity_event(client, workspace):
    worker = _hire(client, workspace.sid)

    _workers(client, workspace.sid)(worker.sid).update(activity_sid=worker.activity_sid)

    assert event_types(client, workspace.sid, worker_sid=worker.sid) == ["worker.created"]


def test_attribute_change_appends_worker_attributes_update(client, workspace):
    worker = _hire(client, workspace.sid)

    _workers(client, workspace.sid)(worker.sid).update(attributes='{"level": 5}')

    event = single_event(client, workspace.sid, "worker.attributes.update", worker.sid)
    assert event.event_data["worker_attributes"] == '{"level": 5}'


def test_delete_appends_worker_deleted_event(client, workspace):
    worker = _hire(client, workspace.sid)

    _workers(client, workspace.sid)(worker.sid).delete()

    event = single_event(client, workspace.sid, "worker.deleted", worker.sid)
    assert event.event_data["worker_name"] == "Alice"


# --- errors ---------------------------------------------------------------------------------


def test_create_without_friendly_name_is_refused(client, workspace):
    with twilio_error(400, 20001, "FriendlyName"):
        _workers(client, workspace.sid).create(friendly_name="")


def test_create_with_duplicate_name_is_refused(client, workspace):
    _hire(client, workspace.sid)

    with twilio_error(400, 20001, "Worker named Alice already exists", workspace.sid):
        _hire(client, workspace.sid)

    assert len(_workers(client, workspace.sid).list()) == 1


def test_rename_to_an_existing_name_is_refused(client, workspace):
    _hire(client, workspace.sid, "Alice")
    bob = _hire(client, workspace.sid, "Bob")

    with twilio_error(400, 20001, "already exists"):
        _workers(client, workspace.sid)(bob.sid).update(friendly_name="Alice")

    assert _workers(client, workspace.sid)(bob.sid).fetch().friendly_name == "Bob"


@pytest.mark.parametrize("attributes", ["{not json", "[1, 2]", '"text"'])
def test_create_with_attributes_that_are_not_a_json_object_is_refused(
    client, workspace, attributes
):
    with twilio_error(400, 20001, "Attributes"):
        _hire(client, workspace.sid, attributes=attributes)

    assert _workers(client, workspace.sid).list() == []


def test_create_with_oversized_attributes_is_refused(client, workspace):
    attributes = json.dumps({"notes": "x" * 20_000})

    with twilio_error(400, 20001, "Attributes", "limit"):
        _hire(client, workspace.sid, attributes=attributes)


def test_update_with_invalid_attributes_changes_nothing(client, workspace):
    worker = _hire(client, workspace.sid, attributes='{"a": 1}')

    with twilio_error(400, 20001, "Attributes"):
        _workers(client, workspace.sid)(worker.sid).update(
            attributes="{broken", friendly_name="Changed"
        )

    fetched = _workers(client, workspace.sid)(worker.sid).fetch()
    assert (fetched.friendly_name, fetched.attributes) == ("Alice", '{"a": 1}')


def test_create_in_another_workspaces_activity_is_refused(client, workspace):
    other = client.taskrouter.v1.workspaces.create(friendly_name="Other")
    foreign = activity_sid(client, other.sid, "Available")

    with twilio_error(400, 20001, "ActivitySid"):
        _hire(client, workspace.sid, activity_sid=foreign)


def test_update_to_an_unknown_activity_is_refused(client, workspace):
    worker = _hire(client, workspace.sid)

    with twilio_error(400, 20001, "ActivitySid"):
        _workers(client, workspace.sid)(worker.sid).update(activity_sid=MISSING["WA"])

    assert _workers(client, workspace.sid)(worker.sid).fetch().activity_name == "Offline"


def test_reject_pending_reservations_without_activity_is_refused(client, workspace):
    worker = _hire(client, workspace.sid)

    with twilio_error(400, 20001, "RejectPendingReservations"):
        _workers(client, workspace.sid)(worker.sid).update(reject_pending_reservations=True)


def test_reject_pending_reservations_into_an_available_activity_is_refused(client, workspace):
    worker = _hire(client, workspace.sid)
    available = activity_sid(client, workspace.sid, "Available")

    with twilio_error(400, 20001, "RejectPendingReservations"):
        _workers(client, workspace.sid)(worker.sid).update(
            activity_sid=available, reject_pending_reservations=True
        )

    assert _workers(client, workspace.sid)(worker.sid).fetch().available is False


def test_reject_pending_reservations_into_an_unavailable_activity_is_accepted(client, workspace):
    available = activity_sid(client, workspace.sid, "Available")
    worker = _hire(client, workspace.sid, activity_sid=available)

    updated = _workers(client, workspace.sid)(worker.sid).update(
        activity_sid=workspace.default_activity_sid, reject_pending_reservations=True
    )

    assert updated.activity_name == "Offline"


def test_bad_target_workers_expression_is_refused_even_with_no_workers(client, workspace):
    with twilio_error(400, 20001, "position"):
        _workers(client, workspace.sid).list(target_workers_expression="skill == ")


def test_unknown_ordering_is_refused(client, workspace):
    with twilio_error(400, 20001, "Ordering"):
        _workers(client, workspace.sid).list(ordering="Age:asc")


def test_misspelt_parameter_is_refused_rather_than_ignored(client, workspace):
    worker = _hire(client, workspace.sid)

    response = client.request("POST", worker.url, data={"Atributes": '{"a": 1}'})

    assert response.status_code == 400
    assert json.loads(response.text)["code"] == 20001
    assert "Atributes" in json.loads(response.text)["message"]
    assert _workers(client, workspace.sid)(worker.sid).fetch().attributes == "{}"


def test_malformed_workspace_sid_in_the_path_is_404(client):
    with twilio_error(404, 20404):
        _workers(client, "WS-not-a-workspace").list()
    with twilio_error(404, 20404):
        _workers(client, "WS-not-a-workspace").create(friendly_name="Alice")


@pytest.mark.parametrize("sid", ["WKabc", "WA" + "0" * 32, MISSING["WK"]])
def test_fetch_with_malformed_or_unknown_sid_is_404(client, workspace, sid):
    with twilio_error(404, 20404):
        _workers(client, workspace.sid)(sid).fetch()


def test_worker_of_another_workspace_is_not_found_here(client, workspace):
    other = client.taskrouter.v1.workspaces.create(friendly_name="Other")
    foreign = _hire(client, other.sid)

    with twilio_error(404, 20404):
        _workers(client, workspace.sid)(foreign.sid).fetch()
    with twilio_error(404, 20404):
        _workers(client, workspace.sid)(foreign.sid).update(friendly_name="Mine")
    with twilio_error(404, 20404):
        _workers(client, workspace.sid)(foreign.sid).delete()
    assert _workers(client, other.sid)(foreign.sid).fetch().friendly_name == "Alice"


def test_another_account_cannot_read_or_change_workers(server, client, workspace):
    worker = _hire(client, workspace.sid)
    stranger = stranger_client(server)

    with twilio_error(404, 20404):
        _workers(stranger, workspace.sid)(worker.sid).fetch()
    with twilio_error(404, 20404):
        _workers(stranger, workspace.sid)(worker.sid).update(friendly_name="Mine")
    with twilio_error(404, 20404):
        _workers(stranger, workspace.sid).list()
    with twilio_error(404, 20404):
        _workers(stranger, workspace.sid)(worker.sid).worker_channels("voice").fetch()

    assert _workers(client, workspace.sid)(worker.sid).fetch().friendly_name == "Alice"


# --- worker channels ------------------------------------------------------------------------


def _channels(client, workspace_sid, worker_sid):
    return _workers(client, workspace_sid)(worker_sid).worker_channels


def test_a_new_worker_has_one_channel_per_task_channel(client, workspace):
    worker = _hire(client, workspace.sid)

    channels = _channels(client, workspace.sid, worker.sid).list()

    assert sorted(c.task_channel_unique_name for c in channels) == DEFAULT_CHANNELS
    voice = next(c for c in channels if c.task_channel_unique_name == "voice")
    assert voice.sid.startswith("WC")
    assert voice.configured_capacity == 1
    assert voice.available is True
    assert voice.assigned_tasks == 0
    assert voice.available_capacity_percentage == 100
    assert voice.worker_sid == worker.sid
    task_channel = ws_api(client, workspace.sid).task_channels("voice").fetch()
    assert voice.task_channel_sid == task_channel.sid


def test_a_new_task_channel_gives_existing_workers_a_channel(client, workspace):
    worker = _hire(client, workspace.sid)

    ws_api(client, workspace.sid).task_channels.create(friendly_name="Email", unique_name="email")

    channel = _channels(client, workspace.sid, worker.sid)("email").fetch()
    assert channel.task_channel_unique_name == "email"
    assert channel.configured_capacity == 1


def test_a_worker_created_after_a_custom_channel_has_it_too(client, workspace):
    ws_api(client, workspace.sid).task_channels.create(friendly_name="Email", unique_name="email")

    worker = _hire(client, workspace.sid)

    names = [
        c.task_channel_unique_name for c in _channels(client, workspace.sid, worker.sid).list()
    ]
    assert sorted(names) == sorted([*DEFAULT_CHANNELS, "email"])


def test_deleting_a_task_channel_removes_the_worker_channels(client, workspace):
    worker = _hire(client, workspace.sid)
    ws_api(client, workspace.sid).task_channels.create(friendly_name="Email", unique_name="email")

    ws_api(client, workspace.sid).task_channels("email").delete()

    names = [
        c.task_channel_unique_name for c in _channels(client, workspace.sid, worker.sid).list()
    ]
    assert sorted(names) == DEFAULT_CHANNELS


def test_worker_channel_can_be_fetched_by_sid_unique_name_or_task_channel_sid(client, workspace):
    worker = _hire(client, workspace.sid)
    channels = _channels(client, workspace.sid, worker.sid)
    sms = next(c for c in channels.list() if c.task_channel_unique_name == "sms")

    by_sid = channels(sms.sid).fetch()
    by_name = channels("sms").fetch()
    by_task_channel = channels(sms.task_channel_sid).fetch()

    assert by_sid.sid == by_name.sid == by_task_channel.sid == sms.sid
    assert by_sid.url == f"{worker.url}/Channels/{sms.sid}"


def test_worker_channel_list_pages_through_every_channel_once(client, workspace):
    worker = _hire(client, workspace.sid)

    listed = _channels(client, workspace.sid, worker.sid).list(page_size=2)

    assert sorted(c.task_channel_unique_name for c in listed) == DEFAULT_CHANNELS


def test_worker_channel_list_meta_names_the_channels_key(client, workspace):
    worker = _hire(client, workspace.sid)

    meta = _channels(client, workspace.sid, worker.sid).page(page_size=2)._payload["meta"]

    assert meta["key"] == "channels"
    assert meta["page_size"] == 2
    assert meta["next_page_url"] is not None


def test_update_capacity(client, workspace):
    worker = _hire(client, workspace.sid)

    updated = _channels(client, workspace.sid, worker.sid)("chat").update(capacity=5)

    assert updated.configured_capacity == 5
    assert updated.available_capacity_percentage == 100
    assert _channels(client, workspace.sid, worker.sid)("chat").fetch().configured_capacity == 5


def test_update_availability(client, workspace):
    worker = _hire(client, workspace.sid)

    updated = _channels(client, workspace.sid, worker.sid)("voice").update(available=False)

    assert updated.available is False
    assert _channels(client, workspace.sid, worker.sid)("voice").fetch().available is False
    assert _channels(client, workspace.sid, worker.sid)("chat").fetch().available is True


def test_capacity_change_appends_worker_capacity_update(client, workspace):
    worker = _hire(client, workspace.sid)

    _channels(client, workspace.sid, worker.sid)("chat").update(capacity=3)

    event = single_event(client, workspace.sid, "worker.capacity.update", worker.sid)
    data = event.event_data
    assert data["worker_sid"] == worker.sid
    assert data["task_channel_unique_name"] == "chat"
    assert data["worker_channel_capacity"] == "3"
    assert data["worker_channel_previous_capacity"] == "1"
    assert data["worker_channel_available_capacity"] == "3"
    assert data["worker_channel_task_count"] == "0"


def test_availability_change_appends_worker_channel_availability_update(client, workspace):
    worker = _hire(client, workspace.sid)

    _channels(client, workspace.sid, worker.sid)("sms").update(available=False)

    event = single_event(client, workspace.sid, "worker.channel.availability.update", worker.sid)
    assert event.event_data["task_channel_unique_name"] == "sms"
    assert event.event_data["worker_channel_available"] == "false"
    assert [e.sid for e in ws_api(client, workspace.sid).events.list(task_channel="sms")] == [
        event.sid
    ]


@pytest.mark.parametrize("capacity", [51, -1])
def test_out_of_range_capacity_is_refused(client, workspace, capacity):
    worker = _hire(client, workspace.sid)

    with twilio_error(400, 20001, "Capacity"):
        _channels(client, workspace.sid, worker.sid)("chat").update(capacity=capacity)

    assert _channels(client, workspace.sid, worker.sid)("chat").fetch().configured_capacity == 1


def test_zero_capacity_is_accepted(client, workspace):
    worker = _hire(client, workspace.sid)

    updated = _channels(client, workspace.sid, worker.sid)("chat").update(capacity=0)

    assert updated.configured_capacity == 0


def test_bad_channel_availability_boolean_is_refused(client, workspace):
    worker = _hire(client, workspace.sid)

    with twilio_error(400, 20001, "Available"):
        _channels(client, workspace.sid, worker.sid)("chat").update(available="nope")


def test_unknown_worker_channel_is_404(client, workspace):
    worker = _hire(client, workspace.sid)

    with twilio_error(404, 20404):
        _channels(client, workspace.sid, worker.sid)("fax").fetch()
    with twilio_error(404, 20404):
        _channels(client, workspace.sid, worker.sid)(MISSING["WC"]).update(capacity=2)


def test_another_workers_channel_is_not_found_under_this_worker(client, workspace):
    alice = _hire(client, workspace.sid, "Alice")
    bob = _hire(client, workspace.sid, "Bob")
    bobs_voice = _channels(client, workspace.sid, bob.sid)("voice").fetch()

    with twilio_error(404, 20404):
        _channels(client, workspace.sid, alice.sid)(bobs_voice.sid).fetch()
    with twilio_error(404, 20404):
        _channels(client, workspace.sid, alice.sid)(bobs_voice.sid).update(capacity=9)

    assert _channels(client, workspace.sid, bob.sid)("voice").fetch().configured_capacity == 1
