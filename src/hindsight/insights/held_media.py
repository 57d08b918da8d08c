"""Recordings Hindsight holds, laid over a conversation's segments when it is read.

The projection is built from the event log, and uploading a recording is not an event, so a
held recording joins a segment's media at read time instead:

* a segment whose media is the conversation's defaults (no custom media list applies to it)
  gets the recordings linked to it as its default VoiceRecordings, before the other defaults
  (`segment_link`, transcript): first those linked to its reservation, then to its task, then
  to its call, each oldest first. Custom media still overrides them, as it overrides any
  default;
* a VoiceRecording custom media item whose url names one of the account's own recordings
  (`…/api/v1/recordings/RE…` or `…/media`) is marked with its `recording_sid` and duration.

No file URL is added: a player asks the media broker for a short-lived link by recording SID.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from hindsight.domain import recordings as rules
from hindsight.domain import segments as seg
from hindsight.domain.task_attributes import TaskAttributes

DEFAULT_TITLE = "Call recording"


@dataclass(frozen=True)
class SegmentKeys:
    """What a segment can be linked to a recording by."""

    task_sid: str | None
    reservation_sid: str | None
    call_sid: str | None


def segment_keys(row: Any) -> SegmentKeys:
    """From a segment row (its verbatim attributes give the call SID)."""
    call = TaskAttributes.parse(row.raw_attributes).call_sid
    if not (call and rules.is_call_sid(call)):
        # Conversations without a conversation_id are keyed by their call SID; HIPAA mode keeps
        # no call_sid attribute, but the key still names the call.
        key = row.conversation_id
        call = key if isinstance(key, str) and rules.is_call_sid(key) else None
    reservation = row.reservation_sid if row.kind in seg.OFFER_KINDS else None
    return SegmentKeys(row.task_sid, reservation, call)


def wanted(keys: Iterable[SegmentKeys]) -> tuple[list[str], list[str], list[str]]:
    """The task, reservation and call SIDs to look recordings up by."""
    tasks, reservations, calls = set(), set(), set()
    for k in keys:
        for found, value in ((tasks, k.task_sid), (reservations, k.reservation_sid)):
            if value:
                found.add(value)
        if k.call_sid:
            calls.add(k.call_sid)
    return sorted(tasks), sorted(reservations), sorted(calls)


def referenced_sids(segments: Iterable[Mapping[str, Any]]) -> list[str]:
    """Recording SIDs named by VoiceRecording custom media URLs."""
    found = set()
    for segment in segments:
        for item in segment["media"]:
            sid = rules.held_recording_sid(item.get("url")) if _is_recording(item) else None
            if sid:
                found.add(sid)
    return sorted(found)


def _is_recording(item: Mapping[str, Any]) -> bool:
    return item.get("type") == "VoiceRecording"


def _held_item(recording: Mapping[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "VoiceRecording",
        "display": "player",
        "title": recording["title"] or DEFAULT_TITLE,
        "recording_sid": recording["sid"],
        "duration": recording["duration_ms"] / 1000,
        "channels": list(orjson.loads(recording["channel_map"])),
    }
    if recording["start_time_ms"] is not None:
        item["start_time"] = recording["start_time_ms"]
    return item


def _matching(keys: SegmentKeys, held: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    chosen: dict[str, Mapping[str, Any]] = {}
    for column, value in (
        ("reservation_sid", keys.reservation_sid),
        ("task_sid", keys.task_sid),
        ("call_sid", keys.call_sid),
    ):
        if value is None:
            continue
        for recording in held:
            if recording[column] == value:
                chosen.setdefault(recording["sid"], recording)
    return list(chosen.values())


def overlay(
    segment: dict[str, Any],
    keys: SegmentKeys,
    held: Sequence[Mapping[str, Any]],
    known: Mapping[str, Mapping[str, Any]],
    *,
    extended: bool,
) -> bool:
    """Lay held recordings over one segment record, in place; True when it gained any.

    `held`: the account's recordings linked to the conversation (oldest first); `known`: the
    account's recordings that custom media URLs name, by SID.
    """
    for item in segment["media"]:
        sid = rules.held_recording_sid(item.get("url")) if _is_recording(item) else None
        if sid and sid in known:
            item["recording_sid"] = sid
            item["duration"] = known[sid]["duration_ms"] / 1000
    if segment["media_level"] != "default":
        return False
    matches = _matching(keys, held)
    if not matches:
        return False
    items = [_held_item(r) for r in matches] + list(segment["media"])
    recordings = [i for i, item in enumerate(items) if _is_recording(item)]
    playable = set(recordings if extended else recordings[:1])
    for index, item in enumerate(items):
        item["index"] = index
        item["playable"] = index in playable
    segment["media"] = items
    return True
