"""Laying held recordings over a segment's media (the read-time half of default media)."""

from __future__ import annotations

from typing import Any

from hindsight.insights.held_media import SegmentKeys, overlay

TASK, RESERVATION, CALL = "WT" + "1" * 32, "WR" + "2" * 32, "CA" + "3" * 32


def recording(sid: str, **links: str | None) -> dict[str, Any]:
    return {
        "sid": sid,
        "task_sid": links.get("task_sid"),
        "reservation_sid": links.get("reservation_sid"),
        "call_sid": links.get("call_sid"),
        "title": None,
        "duration_ms": 1500,
        "channel_map": '["customer", "others"]',
        "start_time_ms": None,
    }


def segment(level: str = "default", media: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"media_level": level, "media": media or []}


HELD = [
    recording("RE-call", call_sid=CALL),
    recording("RE-task", task_sid=TASK),
    recording("RE-resv", reservation_sid=RESERVATION),
    recording("RE-both", task_sid=TASK, reservation_sid=RESERVATION),
]


def test_reservation_then_task_then_call_each_once() -> None:
    record = segment()
    assert overlay(record, SegmentKeys(TASK, RESERVATION, CALL), HELD, {}, extended=True)
    assert [m["recording_sid"] for m in record["media"]] == [
        "RE-resv",
        "RE-both",
        "RE-task",
        "RE-call",
    ]
    assert [m["index"] for m in record["media"]] == [0, 1, 2, 3]
    assert all(m["playable"] for m in record["media"])
    assert record["media"][0]["title"] == "Call recording"
    assert "start_time" not in record["media"][0] and "url" not in record["media"][0]


def test_compatible_mode_plays_only_the_first_recording() -> None:
    link = {"type": "VoiceRecording", "url": "https://x.example/1.wav", "index": 0}
    record = segment(media=[link, {"type": "ChatTranscript", "sid": "CH" + "0" * 32}])
    assert overlay(record, SegmentKeys(TASK, None, None), HELD, {}, extended=False)
    assert [(m.get("recording_sid"), m["playable"]) for m in record["media"]] == [
        ("RE-task", True),
        ("RE-both", False),
        (None, False),
        (None, False),
    ]


def test_nothing_linked_or_custom_media_leaves_the_segment_alone() -> None:
    unlinked = segment()
    assert not overlay(unlinked, SegmentKeys("WT" + "9" * 32, None, None), HELD, {}, extended=True)
    assert unlinked["media"] == []
    custom = segment("task", [{"type": "Referenced", "url": "https://crm.example/1"}])
    assert not overlay(custom, SegmentKeys(TASK, RESERVATION, CALL), HELD, {}, extended=True)
    assert custom["media"] == [{"type": "Referenced", "url": "https://crm.example/1"}]
