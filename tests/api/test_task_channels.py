"""Task channels through the official twilio client: CRUD by SID or unique name, errors, events."""

from __future__ import annotations

import pytest

from tests.api.helpers_config import MISSING, routing_to, single_event, stranger_client, ws_api
from tests.support.twilio_errors import twilio_error


def _email(client, workspace_sid, **settings):
    return ws_api(client, workspace_sid).task_channels.create(
        friendly_name="Email", unique_name="email", **settings
    )


def test_create_answers_201_with_the_given_names(client, workspace):
    response = ws_api(client, workspace.sid).task_channels.create_with_http_info(
        friendly_name="Email", unique_name="email"
    )

    assert response.status_code == 201
    channel = response.data
    assert channel.sid.startswith("TC")
    assert (channel.friendly_name, channel.unique_name) == ("Email", "email")
    assert channel.channel_optimized_routing is None
    assert channel.workspace_sid == workspace.sid
    assert channel.url == f"{workspace.url}/TaskChannels/{channel.sid}"


def test_create_with_channel_optimized_routing(client, workspace):
    channel = _email(client, workspace.sid, channel_optimized_routing=True)

    assert channel.channel_optimized_routing is True


def test_fetch_by_sid_and_by_unique_name_return_the_same_channel(client, workspace):
    created = _email(client, workspace.sid)

    by_sid = ws_api(client, workspace.sid).task_channels(created.sid).fetch()
    by_name = ws_api(client, workspace.sid).task_channels("email").fetch()

    assert by_sid.sid == by_name.sid == created.sid
    assert by_name.friendly_name == "Email"


def test_update_changes_friendly_name_and_routing_flag(client, workspace):
    created = _email(client, workspace.sid)

    updated = (
        ws_api(client, workspace.sid)
        .task_channels(created.sid)
        .update(friendly_name="E-mail", channel_optimized_routing=False)
    )

    assert updated.friendly_name == "E-mail"
    assert updated.unique_name == "email"
    assert updated.channel_optimized_routing is False


def test_update_by_unique_name(client, workspace):
    created = _email(client, workspace.sid)

    ws_api(client, workspace.sid).task_channels("email").update(friendly_name="Mail")

    assert ws_api(client, workspace.sid).task_channels(created.sid).fetch().friendly_name == "Mail"


def test_list_streams_every_channel_exactly_once_across_pages(client, workspace):
    _email(client, workspace.sid)
    ws_api(client, workspace.sid).task_channels.create(friendly_name="Fax", unique_name="fax")

    listed = ws_api(client, workspace.sid).task_channels.list(page_size=3)

    names = [c.unique_name for c in listed]
    assert sorted(names) == ["chat", "default", "email", "fax", "sms", "video", "voice"]


def test_list_meta_names_the_channels_key(client, workspace):
    page = ws_api(client, workspace.sid).task_channels.page(page_size=2)
    meta = page._payload["meta"]
    last = page.next_page().next_page()

    assert meta["key"] == "channels"
    assert (meta["page"], meta["page_size"]) == (0, 2)
    assert meta["next_page_url"] is not None
    assert last._payload["meta"]["page"] == 2
    assert last._payload["meta"]["next_page_url"] is None
    assert len(list(last)) == 1


def test_delete_by_sid_answers_204_and_the_channel_is_gone(client, workspace):
    created = _email(client, workspace.sid)

    response = ws_api(client, workspace.sid).task_channels(created.sid).delete_with_http_info()

    assert response.status_code == 204
    with twilio_error(404, 20404):
        ws_api(client, workspace.sid).task_channels(created.sid).fetch()
    with twilio_error(404, 20404):
        ws_api(client, workspace.sid).task_channels("email").fetch()


def test_delete_by_unique_name(client, workspace):
    created = _email(client, workspace.sid)

    ws_api(client, workspace.sid).task_channels("email").delete()

    with twilio_error(404, 20404):
        ws_api(client, workspace.sid).task_channels(created.sid).fetch()


def test_unique_name_can_be_reused_after_delete(client, workspace):
    first = _email(client, workspace.sid)
    ws_api(client, workspace.sid).task_channels(first.sid).delete()

    second = _email(client, workspace.sid)

    assert second.sid != first.sid


def test_deleting_a_channel_an_active_task_uses_is_refused(client, workspace):
    queue = ws_api(client, workspace.sid).task_queues.create(friendly_name="Inbox")
    workflow = ws_api(client, workspace.sid).workflows.create(
        friendly_name="Route", configuration=routing_to(queue.sid)
    )
    channel = _email(client, workspace.sid)
    ws_api(client, workspace.sid).tasks.create(workflow_sid=workflow.sid, task_channel="email")

    with twilio_error(400, 20001, "active task"):
        ws_api(client, workspace.sid).task_channels(channel.sid).delete()

    assert ws_api(client, workspace.sid).task_channels("email").fetch().sid == channel.sid


# --- events ---------------------------------------------------------------------------------


def test_create_appends_task_channel_created_event(client, workspace):
    created = _email(client, workspace.sid, channel_optimized_routing=True)

    event = single_event(client, workspace.sid, "task-channel.created", created.sid)
    assert event.resource_type == "task_channel"
    assert event.event_data["task_channel_sid"] == created.sid
    assert event.event_data["task_channel_name"] == "Email"
    assert event.event_data["task_channel_unique_name"] == "email"
    assert event.event_data["task_channel_optimized_routing"] == "true"


def test_update_appends_task_channel_updated_event(client, workspace):
    created = _email(client, workspace.sid)

    ws_api(client, workspace.sid).task_channels(created.sid).update(friendly_name="Mail")

    event = single_event(client, workspace.sid, "task-channel.updated", created.sid)
    assert event.event_data["task_channel_name"] == "Mail"


def test_delete_appends_task_channel_deleted_event(client, workspace):
    created = _email(client, workspace.sid)

    ws_api(client, workspace.sid).task_channels(created.sid).delete()

    event = single_event(client, workspace.sid, "task-channel.deleted", created.sid)
    assert event.event_data["task_channel_unique_name"] == "email"


# --- errors ---------------------------------------------------------------------------------


def test_create_without_unique_name_is_refused(client, workspace):
    with twilio_error(400, 20001, "UniqueName"):
        ws_api(client, workspace.sid).task_channels.create(friendly_name="Email", unique_name="")


def test_create_without_friendly_name_is_refused(client, workspace):
    with twilio_error(400, 20001, "FriendlyName"):
        ws_api(client, workspace.sid).task_channels.create(friendly_name="", unique_name="email")


def test_create_with_duplicate_unique_name_is_refused(client, workspace):
    with twilio_error(400, 20001, "UniqueName voice already exists"):
        ws_api(client, workspace.sid).task_channels.create(
            friendly_name="Phone", unique_name="voice"
        )

    names = [c.unique_name for c in ws_api(client, workspace.sid).task_channels.list()]
    assert names.count("voice") == 1


@pytest.mark.parametrize("unique_name", ["e-mail", "e mail", "x" * 65])
def test_create_with_invalid_unique_name_is_refused(client, workspace, unique_name):
    with twilio_error(400, 20001, "UniqueName"):
        ws_api(client, workspace.sid).task_channels.create(
            friendly_name="Email", unique_name=unique_name
        )


def test_create_with_bad_boolean_is_refused(client, workspace):
    with twilio_error(400, 20001, "ChannelOptimizedRouting"):
        _email(client, workspace.sid, channel_optimized_routing="sometimes")


def test_update_with_bad_boolean_is_refused(client, workspace):
    with twilio_error(400, 20001, "ChannelOptimizedRouting"):
        ws_api(client, workspace.sid).task_channels("voice").update(
            channel_optimized_routing="sometimes"
        )


@pytest.mark.parametrize("key", ["no_such_channel", MISSING["TC"]])
def test_fetch_unknown_channel_is_404(client, workspace, key):
    with twilio_error(404, 20404):
        ws_api(client, workspace.sid).task_channels(key).fetch()


def test_channel_of_another_workspace_is_not_found_here(client, workspace):
    other = client.taskrouter.v1.workspaces.create(friendly_name="Other")
    foreign = _email(client, other.sid)

    with twilio_error(404, 20404):
        ws_api(client, workspace.sid).task_channels(foreign.sid).fetch()
    with twilio_error(404, 20404):
        ws_api(client, workspace.sid).task_channels(foreign.sid).delete()
    assert ws_api(client, other.sid).task_channels(foreign.sid).fetch().unique_name == "email"


def test_another_account_cannot_read_or_change_channels(server, client, workspace):
    stranger = stranger_client(server)

    with twilio_error(404, 20404):
        ws_api(stranger, workspace.sid).task_channels("voice").fetch()
    with twilio_error(404, 20404):
        ws_api(stranger, workspace.sid).task_channels("voice").delete()
    with twilio_error(404, 20404):
        ws_api(stranger, workspace.sid).task_channels.list()

    assert ws_api(client, workspace.sid).task_channels("voice").fetch().unique_name == "voice"
