"""`ChatService.transcript()`: a held conversation as the reporting side reads it, in order,
with each message's role (customer / agent / system) and the participants."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from twilio.rest import Client

from tests.api.helpers_chat import NO_CONVERSATION, conversations, transcript
from tests.api.helpers_tasks import stranger
from tests.support.server import RunningServer


@pytest.fixture
def staffed(client: Client) -> Any:
    """A workspace whose worker 'Alice' chats as `alice` (Flex's contact_uri client:alice)."""
    workspace = client.taskrouter.v1.workspaces.create(friendly_name="Chat desk")
    client.taskrouter.v1.workspaces(workspace.sid).workers.create(
        friendly_name="Alice", attributes=json.dumps({"contact_uri": "client:alice"})
    )
    return workspace


def test_roles_follow_participants_workers_and_declared_attributes(
    client: Client, server: RunningServer, account: Any, staffed: Any
) -> None:
    api = conversations(client)
    conversation = api.create(friendly_name="Order 4411", attributes='{"case": 4411}')
    chat = api(conversation.sid)
    sms = chat.participants.create(
        messaging_binding_address="+15551230001", messaging_binding_proxy_address="+15557770000"
    )
    alice = chat.participants.create(identity="alice")
    visitor = chat.participants.create(identity="visitor-9")
    supervisor = chat.participants.create(
        identity="sam", attributes=json.dumps({"member_type": "supervisor"})
    )
    bot = chat.participants.create(identity="helper", attributes=json.dumps({"role": "bot"}))
    script: list[tuple[dict[str, Any], str]] = [
        ({"author": "+15551230001", "body": "My parcel is late"}, "customer"),
        ({"author": "alice", "body": "Let me check"}, "agent"),
        ({"body": "Alice joined"}, "system"),  # Twilio's default author: system
        ({"author": "visitor-9", "body": "Same here"}, "customer"),
        ({"author": "sam", "body": "Escalating"}, "agent"),
        ({"author": "helper", "body": "Tracking: in transit"}, "system"),
        ({"author": "Studio", "body": "Survey sent"}, "system"),
        (
            {"author": "Studio", "body": "Handed to agent", "attributes": '{"role": "agent"}'},
            "agent",
        ),
        ({"author": "Alice", "body": "From the worker's name"}, "agent"),
        ({"author": "client:alice", "body": "From the contact URI"}, "agent"),
    ]
    for fields, _role in script:
        chat.messages.create(**fields)

    held = transcript(server, account.sid, conversation.sid)

    assert held is not None
    assert (held.conversation_sid, held.account_sid) == (conversation.sid, account.sid)
    assert (held.friendly_name, held.state, held.attributes) == (
        "Order 4411",
        "active",
        {"case": 4411},
    )
    assert [(p.sid, p.role) for p in held.participants] == [
        (sms.sid, "customer"),
        (alice.sid, "agent"),
        (visitor.sid, "customer"),
        (supervisor.sid, "agent"),
        (bot.sid, "system"),
    ]
    assert held.participants[0].address == "+15551230001"
    assert [m.index for m in held.messages] == list(range(len(script)))
    assert [(m.body, m.role) for m in held.messages] == [
        (fields["body"], role) for fields, role in script
    ]
    assert [m.author for m in held.messages][:3] == ["+15551230001", "alice", "system"]
    assert held.messages[0].participant_sid == sms.sid
    assert held.messages[6].participant_sid is None
    assert held.messages[7].attributes == {"role": "agent"}
    timestamps = [m.timestamp_ms for m in held.messages]
    assert timestamps == sorted(timestamps)
    document = held.as_dict()
    assert json.loads(json.dumps(document)) == document
    assert document["messages"][1]["role"] == "agent"
    assert document["messages"][1]["timestamp"].endswith("Z")


def test_a_worker_of_another_account_does_not_make_an_agent(
    client: Client, server: RunningServer, account: Any
) -> None:
    other = stranger(server)
    other_ws = other.taskrouter.v1.workspaces.create(friendly_name="Elsewhere")
    other.taskrouter.v1.workspaces(other_ws.sid).workers.create(friendly_name="visitor-9")
    conversation = conversations(client).create()
    chat = conversations(client)(conversation.sid)
    chat.participants.create(identity="visitor-9")
    chat.messages.create(author="visitor-9", body="hello")

    held = transcript(server, account.sid, conversation.sid)

    assert held is not None
    assert [p.role for p in held.participants] == ["customer"]
    assert [m.role for m in held.messages] == ["customer"]


def test_imported_transcripts_keep_their_dates_and_add_order(
    client: Client, server: RunningServer, account: Any
) -> None:
    conversation = conversations(client).create(date_created=datetime(2020, 1, 2, tzinfo=UTC))
    chat = conversations(client)(conversation.sid)
    for minute, body in ((5, "first"), (1, "second, stamped earlier")):
        chat.messages.create(
            author="visitor", body=body, date_created=datetime(2020, 1, 2, 9, minute, tzinfo=UTC)
        )

    held = transcript(server, account.sid, conversation.sid)

    assert held is not None
    assert [m.body for m in held.messages] == ["first", "second, stamped earlier"]
    assert [m.as_dict()["timestamp"] for m in held.messages] == [
        "2020-01-02T09:05:00Z",
        "2020-01-02T09:01:00Z",
    ]
    assert held.as_dict()["date_created"] == "2020-01-02T00:00:00Z"


def test_transcript_is_none_unless_the_account_holds_the_conversation(
    client: Client, server: RunningServer, account: Any
) -> None:
    conversation = conversations(client).create(unique_name="held")
    conversations(client)(conversation.sid).messages.create(body="x")
    theirs = conversations(stranger(server)).create()

    assert transcript(server, account.sid, NO_CONVERSATION) is None
    assert transcript(server, account.sid, theirs.sid) is None
    assert transcript(server, account.sid, "held") is None  # a SID, not a unique name
    assert transcript(server, account.sid, "CH123") is None
    upper = "CH" + conversation.sid[2:].upper()
    found = transcript(server, account.sid, upper)
    assert found is not None and found.conversation_sid == conversation.sid
    empty = conversations(client).create()
    held_empty = transcript(server, account.sid, empty.sid)
    assert held_empty is not None and held_empty.messages == () and held_empty.participants == ()
