"""Chat transcripts held by Hindsight, through the official `twilio` client (Conversations v1).

Every response the helper library receives is validated against Twilio's Conversations spec
(tests/support/twilio_client.py); raw requests are validated with `checked`.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
from twilio.rest import Client

from tests.api.helpers_chat import CONVERSATIONS, checked, conversations, message_count, ok
from tests.api.helpers_tasks import http, stranger
from tests.support.server import RunningServer
from tests.support.twilio_errors import twilio_error


def test_a_transcript_round_trip_through_the_official_client(
    client: Client, server: RunningServer
) -> None:
    api = conversations(client)
    created = api.create(
        friendly_name="Web chat 4411",
        unique_name="webchat-4411",
        attributes=json.dumps({"channel": "web", "case": 4411}),
        x_twilio_webhook_enabled="true",
    )
    assert created.sid.startswith("CH") and len(created.sid) == 34
    assert (created.friendly_name, created.unique_name, created.state) == (
        "Web chat 4411",
        "webchat-4411",
        "active",
    )
    assert json.loads(created.attributes) == {"channel": "web", "case": 4411}
    assert created.links == {
        "participants": f"{server.base_url}/v1/Conversations/{created.sid}/Participants",
        "messages": f"{server.base_url}/v1/Conversations/{created.sid}/Messages",
    }
    assert created.url == f"{server.base_url}/v1/Conversations/{created.sid}"
    # Fetch by SID and, as Twilio allows, by unique name.
    assert api(created.sid).fetch().unique_name == "webchat-4411"
    assert api("webchat-4411").fetch().sid == created.sid

    conversation = api(created.sid)
    customer = conversation.participants.create(identity="visitor-77")
    agent = conversation.participants.create(
        identity="alice", attributes=json.dumps({"role": "agent"})
    )
    lines = [
        ("visitor-77", "Hello, my order has not arrived."),
        ("alice", "Sorry to hear that. What is the order number?"),
        ("visitor-77", "It is 4411."),
        ("alice", "Thanks, a courier will call you today."),
    ]
    sent = [
        conversation.messages.create(author=author, body=body, x_twilio_webhook_enabled="false")
        for author, body in lines
    ]
    assert [m.index for m in sent] == [0, 1, 2, 3]
    assert [m.participant_sid for m in sent] == [customer.sid, agent.sid] * 2
    assert all(m.sid.startswith("IM") and m.conversation_sid == created.sid for m in sent)
    assert sent[0].attributes == "{}" and sent[0].media is None

    listed = conversation.messages.list()
    assert [(m.author, m.body) for m in listed] == lines
    newest_first = conversation.messages.list(order="desc")
    assert [m.index for m in newest_first] == [3, 2, 1, 0]

    edited = conversation.messages(sent[2].sid).update(
        body="It is order 4411.", attributes=json.dumps({"edited": True})
    )
    assert (edited.index, edited.body, json.loads(edited.attributes)) == (
        2,
        "It is order 4411.",
        {"edited": True},
    )
    assert conversation.messages(sent[2].sid).fetch().body == "It is order 4411."

    assert conversation.messages(sent[1].sid).delete() is True
    after = conversation.messages.create(author="alice", body="Anything else?")
    # A deleted message's index is never given again.
    assert after.index == 4
    assert [m.index for m in conversation.messages.list()] == [0, 2, 3, 4]

    renamed = api(created.sid).update(friendly_name="Order 4411", state="inactive")
    assert (renamed.friendly_name, renamed.state) == ("Order 4411", "inactive")
    assert [p.identity for p in conversation.participants.list()] == ["visitor-77", "alice"]

    assert api(created.sid).delete() is True
    with twilio_error(404, 20404, created.sid):
        api(created.sid).fetch()
    with twilio_error(404, 20404):
        conversation.messages.list()
    assert message_count(server, created.sid) == 0
    checked_paths = {path for _m, path, _s in client.http_client.responses}
    assert any(p.endswith("/Messages") for p in checked_paths)
    assert any(p.endswith("/Participants") for p in checked_paths)


def test_an_importer_sets_message_dates_and_order_stays_the_order_added(client: Client) -> None:
    api = conversations(client)
    old = datetime(2019, 11, 21, 15, 32, tzinfo=UTC)
    conversation = api.create(friendly_name="2019 chat", date_created=old)
    assert conversation.date_created == old and conversation.date_updated == old
    first = api(conversation.sid).messages.create(
        author="visitor", body="first", date_created=datetime(2019, 11, 21, 15, 33, tzinfo=UTC)
    )
    second = api(conversation.sid).messages.create(
        author="visitor", body="second", date_created=datetime(2019, 11, 21, 15, 34, tzinfo=UTC)
    )
    assert first.date_created == datetime(2019, 11, 21, 15, 33, tzinfo=UTC)
    # Not edited: last updated when created.
    assert first.date_updated == first.date_created
    moved = (
        api(conversation.sid)
        .messages(first.sid)
        .update(
            date_created=datetime(2019, 11, 21, 15, 30, tzinfo=UTC),
            date_updated=datetime(2019, 11, 22, tzinfo=UTC),
        )
    )
    assert moved.date_created == datetime(2019, 11, 21, 15, 30, tzinfo=UTC)
    assert moved.date_updated == datetime(2019, 11, 22, tzinfo=UTC)
    assert [m.body for m in api(conversation.sid).messages.list()] == ["first", "second"]
    assert second.index == 1


def test_messages_page_in_order_both_ways(client: Client, raw: httpx.Client) -> None:
    conversation = conversations(client).create(friendly_name="Paging")
    api = conversations(client)(conversation.sid)
    for n in range(7):
        api.messages.create(author="visitor", body=f"line {n}")

    assert [m.body for m in api.messages.list(page_size=3)] == [f"line {n}" for n in range(7)]
    assert [m.index for m in api.messages.list(order="desc", page_size=2)] == list(range(6, -1, -1))
    assert [m.index for m in api.messages.list(limit=4, page_size=3)] == [0, 1, 2, 3]

    path = f"{CONVERSATIONS}/{conversation.sid}/Messages"
    first = ok(raw.get(path, params={"PageSize": 3, "Order": "desc"}))
    assert [m["index"] for m in first["messages"]] == [6, 5, 4]
    meta = first["meta"]
    assert (meta["key"], meta["page"], meta["page_size"]) == ("messages", 0, 3)
    assert meta["previous_page_url"] is None and "Order=desc" in meta["next_page_url"]
    second = ok(raw.get(meta["next_page_url"]))
    assert [m["index"] for m in second["messages"]] == [3, 2, 1]
    back = ok(raw.get(second["meta"]["previous_page_url"]))
    assert [m["index"] for m in back["messages"]] == [6, 5, 4]
    # A token belongs to its ordering.
    token = meta["next_page_url"].split("PageToken=")[1]
    response = raw.get(path, params={"PageToken": token, "Order": "asc"})
    assert response.status_code == 400 and response.json()["code"] == 20001


def test_conversations_list_filters_by_state_and_creation_date(
    client: Client, raw: httpx.Client
) -> None:
    api = conversations(client)
    made = [
        api.create(friendly_name=f"c{n}", date_created=datetime(2024, 5, day, 12, tzinfo=UTC))
        for n, day in enumerate((10, 11, 12, 13))
    ]
    api(made[1].sid).update(state="closed")

    assert [c.friendly_name for c in api.list()] == ["c0", "c1", "c2", "c3"]
    assert [c.friendly_name for c in api.list(state="closed")] == ["c1"]
    assert [c.friendly_name for c in api.list(page_size=1)] == ["c0", "c1", "c2", "c3"]
    # Filtered by date: newest first, EndDate's whole day included.
    body = ok(raw.get(CONVERSATIONS, params={"StartDate": "2024-05-11", "EndDate": "2024-05-12"}))
    assert [c["friendly_name"] for c in body["conversations"]] == ["c2", "c1"]
    body = ok(
        raw.get(
            CONVERSATIONS,
            params={"StartDate": "2024-05-11T00:00:00Z", "EndDate": "2024-05-12T00:00:00Z"},
        )
    )
    assert [c["friendly_name"] for c in body["conversations"]] == ["c1"]
    body = ok(raw.get(CONVERSATIONS, params={"StartDate": "2024-05-11", "PageSize": 2}))
    assert [c["friendly_name"] for c in body["conversations"]] == ["c3", "c2"]
    more = ok(raw.get(body["meta"]["next_page_url"]))
    assert [c["friendly_name"] for c in more["conversations"]] == ["c1"]
    assert more["meta"]["next_page_url"] is None


def test_participants_chat_and_messaging_fetched_by_sid_or_identity(client: Client) -> None:
    conversation = conversations(client).create(friendly_name="Roster")
    api = conversations(client)(conversation.sid)
    sms = api.participants.create(
        messaging_binding_address="+15551230001",
        messaging_binding_proxy_address="+15557770000",
        attributes=json.dumps({"name": "Ada"}),
    )
    assert sms.identity is None
    assert sms.messaging_binding == {
        "type": "sms",
        "address": "+15551230001",
        "proxy_address": "+15557770000",
    }
    whatsapp = api.participants.create(
        messaging_binding_address="whatsapp:+15551230002",
        messaging_binding_proxy_address="whatsapp:+15557770000",
    )
    assert whatsapp.messaging_binding["type"] == "whatsapp"
    role = "RL" + "1" * 32
    chat = api.participants.create(
        identity="alice",
        role_sid=role,
        messaging_binding_projected_address="+15557770001",
    )
    assert (chat.role_sid, chat.messaging_binding) == (
        role,
        {"type": "sms", "projected_address": "+15557770001"},
    )
    assert api.participants("alice").fetch().sid == chat.sid
    assert api.participants(chat.sid).fetch().identity == "alice"

    updated = api.participants(chat.sid).update(
        attributes=json.dumps({"role": "agent"}),
        last_read_message_index=3,
        last_read_timestamp="2024-05-14T14:26:54Z",
        messaging_binding_projected_address="null",
    )
    assert json.loads(updated.attributes) == {"role": "agent"}
    assert (updated.last_read_message_index, updated.last_read_timestamp) == (
        3,
        "2024-05-14T14:26:54Z",
    )
    assert updated.messaging_binding is None

    with twilio_error(409, 50433):
        api.participants.create(identity="alice")
    with twilio_error(409, 50416):
        api.participants.create(
            messaging_binding_address="+15551230001",
            messaging_binding_proxy_address="+15557770000",
        )
    # A message by a participant's address is linked to that participant.
    text = api.messages.create(author="+15551230001", body="STOP")
    assert text.participant_sid == sms.sid

    assert api.participants(whatsapp.sid).delete() is True
    assert [p.sid for p in api.participants.list(page_size=1)] == [sms.sid, chat.sid]


def test_unique_names_are_unique_per_account_and_can_change(client: Client, server) -> None:
    api = conversations(client)
    first = api.create(unique_name="case-1")
    with twilio_error(409, 50353):
        api.create(unique_name="case-1")
    second = api.create(unique_name="case-2")
    with twilio_error(409, 50353):
        api(second.sid).update(unique_name="case-1")
    assert api("case-1").update(unique_name="case-one").sid == first.sid
    assert api("case-one").fetch().sid == first.sid
    with twilio_error(404, 20404):
        api("case-1").fetch()
    # Another account may use the same unique name: names are per account.
    other = conversations(stranger(server)).create(unique_name="case-one")
    assert other.sid != first.sid


def test_deleting_a_conversation_deletes_its_messages_and_participants(
    client: Client, server: RunningServer
) -> None:
    api = conversations(client)
    conversation = api.create(unique_name="to-delete")
    api(conversation.sid).participants.create(identity="visitor")
    for n in range(3):
        api(conversation.sid).messages.create(author="visitor", body=f"m{n}")
    assert message_count(server, conversation.sid) == 3

    assert api("to-delete").delete() is True

    assert message_count(server, conversation.sid) == 0
    with twilio_error(404, 20404):
        api(conversation.sid).participants.list()
    # The unique name is free again.
    assert api.create(unique_name="to-delete").sid != conversation.sid


def test_concurrent_messages_get_gap_free_increasing_indexes(
    client: Client, server: RunningServer, account: Any
) -> None:
    conversation = conversations(client).create(friendly_name="Busy")
    path = f"{CONVERSATIONS}/{conversation.sid}/Messages"

    def post(n: int) -> int:
        with http(server, account) as raw_client:
            response = raw_client.post(path, data={"Author": f"a{n % 3}", "Body": f"b{n}"})
            return ok(response, 201)["index"]

    with ThreadPoolExecutor(8) as pool:
        indexes = list(pool.map(post, range(40)))

    assert sorted(indexes) == list(range(40))
    listed = conversations(client)(conversation.sid).messages.list()
    assert [m.index for m in listed] == list(range(40))
    assert sorted(m.body for m in listed) == sorted(f"b{n}" for n in range(40))


def test_messages_with_media_only_keep_the_media_reference(raw: httpx.Client) -> None:
    conversation = ok(raw.post(CONVERSATIONS, data={}), 201)
    media = "ME" + "a" * 32
    message = ok(
        raw.post(f"{CONVERSATIONS}/{conversation['sid']}/Messages", data={"MediaSid": media}),
        201,
    )
    assert (message["body"], message["media"], message["author"]) == (
        None,
        [{"sid": media}],
        "system",
    )
    # Clearing the body of a media message is allowed; it still has its media.
    path = f"{CONVERSATIONS}/{conversation['sid']}/Messages/{message['sid']}"
    assert ok(raw.post(path, data={"Body": ""}))["media"] == [{"sid": media}]


def test_responses_say_no_store(raw: httpx.Client) -> None:
    response = checked(raw.post(CONVERSATIONS, data={"FriendlyName": "x"}))
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
