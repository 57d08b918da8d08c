"""A chat task names its transcript in any of the forms Flex uses, and the Insights
conversation detail says whether Hindsight holds it (never showing the messages)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from twilio.rest import Client

from tests.api.helpers_chat import conversations
from tests.api.helpers_routing import Floor, floor
from tests.api.helpers_tasks import stranger
from tests.support.server import RunningServer
from tests.support.waiting import wait_for

DETAIL = "/api/v1/insights/conversations"
DRILLDOWN = "/api/v1/insights/drilldown"
SECRET = "my card number is 4111"
NOT_HELD = "CH" + "f" * 32


@pytest.fixture
def f(client: Client) -> Floor:
    return floor(client, "Chat insights")


def _held_chat(client: Client) -> Any:
    chat = conversations(client).create(friendly_name="Web chat")
    for author, body in (("visitor", "Hello"), ("alice", "Hi!"), ("visitor", SECRET)):
        conversations(client)(chat.sid).messages.create(author=author, body=body)
    return chat


def _detail(server: RunningServer, account: Any, conversation_id: str) -> httpx.Response:
    def probe() -> httpx.Response | None:
        response = httpx.get(
            f"{server.base_url}{DETAIL}/{conversation_id}",
            auth=(account.sid, account.auth_token),
            timeout=30,
        )
        return response if response.status_code == 200 else None

    return wait_for(probe, f"the Insights detail of {conversation_id}")


def _transcript_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        item
        for segment in body["segments"]
        for item in segment["media"]
        if item["type"] == "ChatTranscript"
    ]


FORMS = {
    "flex-conversations-conversationSid": lambda sid: {"conversationSid": sid},
    "programmable-chat-channelSid": lambda sid: {"channelSid": sid},
    "chat-transcript-media-item": lambda sid: {
        "conversations": {"media": [{"type": "ChatTranscript", "sid": sid}]}
    },
    "interactions-conversation_sid": lambda sid: {
        "conversations": {"media": [{"conversation_sid": sid}]}
    },
}


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS)
def test_each_form_resolves_to_the_held_transcript_in_the_detail(
    f: Floor, client: Client, server: RunningServer, account: Any, form: Any
) -> None:
    queue = f.queue("Chat", "skill == 'none'")
    workflow = f.workflow("To chat", default_queue=queue.sid)
    chat = _held_chat(client)
    task = f.task(workflow.sid, **form(chat.sid))

    response = _detail(server, account, task.sid)

    items = _transcript_items(response.json())
    assert items, response.text
    for item in items:
        assert (item["sid"], item["display"]) == (chat.sid, "transcript")
        assert item["transcript"] == {"available": True, "message_count": 3}
    # The detail says the transcript is held; its messages stay behind the media broker.
    assert SECRET not in response.text and "Hello" not in response.text
    drilldown = httpx.get(
        f"{server.base_url}{DRILLDOWN}",
        params={"task_sid": task.sid},
        auth=(account.sid, account.auth_token),
        timeout=30,
    )
    assert drilldown.status_code == 200, drilldown.text
    assert _transcript_items(drilldown.json()["conversation"]) == items


def test_transcripts_not_held_or_of_another_account_are_marked_unavailable(
    f: Floor, client: Client, server: RunningServer, account: Any
) -> None:
    queue = f.queue("Chat", "skill == 'none'")
    workflow = f.workflow("To chat", default_queue=queue.sid)
    other = stranger(server)
    theirs = conversations(other).create()
    conversations(other)(theirs.sid).messages.create(body=SECRET)
    mine = conversations(client).create()
    task = f.task(
        workflow.sid,
        conversations={
            "media": [
                {"type": "ChatTranscript", "sid": NOT_HELD},
                {"type": "ChatTranscript", "sid": theirs.sid},
                {"type": "ChatTranscript", "sid": "CH" + mine.sid[2:].upper()},
                {"type": "Referenced", "url": "https://crm.example.org/1", "title": "CRM"},
            ]
        },
    )

    body = _detail(server, account, task.sid).json()

    marks = [item["transcript"] for item in _transcript_items(body)]
    assert marks == [
        {"available": False, "message_count": None},
        {"available": False, "message_count": None},
        {"available": True, "message_count": 0},
    ]
    others = [i for s in body["segments"] for i in s["media"] if i["type"] != "ChatTranscript"]
    assert others and all(i.get("transcript") is None for i in others)


def test_a_person_opens_a_held_transcript_through_a_media_link(
    f: Floor, client: Client, server: RunningServer, account: Any
) -> None:
    from tests.support.people import last_audit, person

    queue = f.queue("Chat", "skill == 'none'")
    workflow = f.workflow("To chat", default_queue=queue.sid)
    chat = _held_chat(client)
    other = stranger(server)
    theirs = conversations(other).create()
    task = f.task(
        workflow.sid,
        conversations={
            "media": [
                {"type": "ChatTranscript", "sid": chat.sid},
                {"type": "ChatTranscript", "sid": theirs.sid},
            ]
        },
    )
    segment = _detail(server, account, task.sid).json()["segments"][0]["segment_id"]
    reader = person(server, account.sid, ("wfo.dashboard_viewer",), name="reader")

    link = reader.post("/api/v1/media/links", {"segment_id": segment, "index": 0}).json()
    opened = reader.get(link["url"])

    assert opened.status_code == 200, opened.text
    assert opened.headers["cache-control"] == "no-store"
    transcript = opened.json()
    assert [(m["author"], m["body"]) for m in transcript["messages"]] == [
        ("visitor", "Hello"),
        ("alice", "Hi!"),
        ("visitor", SECRET),
    ]
    record = last_audit(server, reader.sid, "transcript.open")
    assert record["outcome"] == "allowed" and SECRET not in str(record)
    # Another account's transcript named in my task's media is not served.
    foreign = reader.post("/api/v1/media/links", {"segment_id": segment, "index": 1}).json()
    refused = reader.get(foreign["url"])
    assert refused.status_code == 404
    assert last_audit(server, reader.sid, "transcript.open")["outcome"] == "failed"
