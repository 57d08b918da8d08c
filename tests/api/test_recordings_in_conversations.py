"""A recording Hindsight holds is its conversation's default VoiceRecording (unless custom media
overrides it), in the conversation detail and the drill-down, on both stores."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers_recordings import Tenant, random_sid, tenant
from tests.support import audio
from tests.support.server import RunningServer
from tests.support.waiting import wait_for

DETAIL = "/api/v1/insights/conversations"
SEGMENT_LINK = "https://recordings.example.com/flex/1.wav"


@pytest.fixture(scope="module")
def a(server: RunningServer) -> Tenant:
    return tenant(server, "held-media-a")


@pytest.fixture(scope="module")
def b(server: RunningServer) -> Tenant:
    return tenant(server, "held-media-b")


def detail(t: Tenant, conversation_id: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        response = httpx.get(f"{t.server.base_url}{DETAIL}/{conversation_id}", auth=t.auth)
        if response.status_code != 200:
            return None
        body = response.json()
        kinds = [s["kind"] for s in body["segments"]]
        return body if "Conversation" in kinds else None

    return wait_for(probe, f"conversation {conversation_id} projected")


def by_kind(body: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = [s for s in body["segments"] if s["kind"] == kind]
    return found


def held_items(segment: dict[str, Any]) -> list[str]:
    return [m.get("recording_sid") for m in segment["media"] if m.get("recording_sid")]


def test_a_recording_linked_to_the_task_is_the_default_recording(a: Tenant) -> None:
    handled = a.handle({"type": "call", "conversations": {"conversation_id": "held-task"}})
    recording = a.created(
        audio.wav(3.0),
        task_sid=handled.task_sid,
        title="Call",
        start_time="1700000000000",
        channels='["customer", "agent"]',
    )
    body = detail(a, "held-task")
    assert body["has_media"] is True
    for kind in ("Queue", "Conversation"):
        segment = by_kind(body, kind)
        assert segment["media_level"] == "default"
        (item,) = segment["media"]
        assert item == {
            "type": "VoiceRecording",
            "index": 0,
            "display": "player",
            "playable": True,
            "url": None,
            "url_provider": None,
            "title": "Call",
            "sid": None,
            "start_time": 1700000000000,
            "channels": ["customer", "agent"],
            "recording_sid": recording["sid"],
            "duration": 3.0,
            "transcript": None,
            "warnings": [],
        }


def test_a_recording_linked_to_a_reservation_is_that_segments_only(a: Tenant) -> None:
    handled = a.handle({"type": "call", "conversations": {"conversation_id": "held-resv"}})
    recording = a.created(audio.wav(1.0), reservation_sid=handled.reservation_sid)
    body = detail(a, "held-resv")
    assert held_items(by_kind(body, "Conversation")) == [recording["sid"]]
    assert by_kind(body, "Queue")["media"] == []


def test_a_recording_linked_by_call_sid_joins_the_calls_conversation(a: Tenant, b: Tenant) -> None:
    call = random_sid("CA")
    a.handle({"type": "call", "call_sid": call})
    b.handle({"type": "call", "call_sid": call})
    recording = a.created(audio.mp3(50), call_sid=call)
    body = detail(a, call)
    assert held_items(by_kind(body, "Conversation")) == [recording["sid"]]
    # Another account's conversation with the same call SID never shows A's recording.
    other = detail(b, call)
    assert all(held_items(s) == [] for s in other["segments"])


def test_held_recordings_come_before_the_other_defaults(a: Tenant) -> None:
    handled = a.handle(
        {
            "type": "call",
            "conversations": {"conversation_id": "held-link", "segment_link": SEGMENT_LINK},
        }
    )
    by_reservation = a.created(audio.wav(0.5), reservation_sid=handled.reservation_sid)
    by_task = a.created(audio.wav(0.5), task_sid=handled.task_sid)
    segment = by_kind(detail(a, "held-link"), "Conversation")
    assert [(m.get("recording_sid"), m.get("url"), m["index"]) for m in segment["media"]] == [
        (by_reservation["sid"], None, 0),
        (by_task["sid"], None, 1),
        (None, SEGMENT_LINK, 2),
    ]
    # The server plays every recording (extended media mode).
    assert [m["playable"] for m in segment["media"]] == [True, True, True]


def test_custom_media_overrides_the_held_recording(a: Tenant) -> None:
    handled = a.handle(
        {
            "type": "call",
            "conversations": {
                "conversation_id": "held-custom",
                "media": [{"type": "Referenced", "url": "https://crm.example.com/7"}],
            },
        }
    )
    a.created(audio.wav(0.5), task_sid=handled.task_sid)
    a.created(audio.wav(0.5), reservation_sid=handled.reservation_sid)
    segment = by_kind(detail(a, "held-custom"), "Conversation")
    assert segment["media_level"] == "task"
    assert [(m["type"], m["url"]) for m in segment["media"]] == [
        ("Referenced", "https://crm.example.com/7")
    ]
    assert held_items(segment) == []


def test_custom_media_naming_a_held_recording_is_marked(a: Tenant, b: Tenant) -> None:
    own = a.created(audio.wav(1.5), call_sid=random_sid("CA"))
    foreign = b.created(audio.wav(1.0), call_sid=random_sid("CA"))
    media = [
        {"type": "VoiceRecording", "url": own["media_url"], "title": "Ours"},
        {"type": "VoiceRecording", "url": own["url"]},
        {"type": "VoiceRecording", "url": foreign["media_url"]},
        {"type": "VoiceRecording", "url": "https://elsewhere.example.com/RE.wav"},
    ]
    a.handle({"type": "call", "conversations": {"conversation_id": "held-named", "media": media}})
    segment = by_kind(detail(a, "held-named"), "Conversation")
    assert segment["media_level"] == "task"
    assert [(m["url"], m["recording_sid"], m["duration"]) for m in segment["media"]] == [
        (own["media_url"], own["sid"], 1.5),
        (own["url"], own["sid"], 1.5),
        (foreign["media_url"], None, None),
        ("https://elsewhere.example.com/RE.wav", None, None),
    ]


def test_the_drilldown_shows_the_held_recording(a: Tenant) -> None:
    handled = a.handle({"type": "call", "conversations": {"conversation_id": "held-drill"}})
    recording = a.created(audio.opus(1.0), task_sid=handled.task_sid)
    detail(a, "held-drill")
    response = httpx.get(
        f"{a.server.base_url}/api/v1/insights/drilldown",
        params={"task_sid": handled.task_sid},
        auth=a.auth,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["action"] == "conversation_screen"
    conversation = by_kind(body["conversation"], "Conversation")
    assert held_items(conversation) == [recording["sid"]]


def test_a_deleted_recording_leaves_the_conversation(a: Tenant) -> None:
    handled = a.handle({"type": "call", "conversations": {"conversation_id": "held-gone"}})
    recording = a.created(audio.wav(0.5), task_sid=handled.task_sid)
    assert held_items(by_kind(detail(a, "held-gone"), "Conversation")) == [recording["sid"]]
    assert httpx.delete(a.url(f"/{recording['sid']}"), auth=a.auth).status_code == 204
    body = detail(a, "held-gone")
    assert by_kind(body, "Conversation")["media"] == []
    assert body["has_media"] is False


def test_a_person_plays_a_held_recording_through_a_media_link_with_ranges(a: Tenant) -> None:
    from tests.support.people import last_audit, person

    handled = a.handle({"type": "call", "conversations": {"conversation_id": "held-played"}})
    content = audio.wav(2.0)
    a.created(content, task_sid=handled.task_sid)
    segment = by_kind(detail(a, "held-played"), "Conversation")
    listener = person(a.server, a.account.sid, ("wfo.team_leader",), name="listener")
    minted = listener.post("/api/v1/media/links", {"segment_id": segment["segment_id"], "index": 0})
    assert minted.status_code == 201, minted.text
    url = minted.json()["url"]
    whole = listener.get(url)
    assert whole.status_code == 200 and whole.content == content
    assert whole.headers["content-type"] == "audio/wav"
    assert whole.headers["content-disposition"] == "inline"
    part = listener.http.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(content)}"
    played = last_audit(a.server, listener.sid, "media.play")
    assert played["outcome"] == "allowed" and played["detail"]["range"] == "bytes=100-199"
    # An analyst without the Play permission cannot mint one.
    builder = person(a.server, a.account.sid, ("wfo.quality_process_manager",), name="qpm")
    refused = builder.post("/api/v1/media/links", {"segment_id": segment["segment_id"], "index": 0})
    assert refused.status_code == 403
