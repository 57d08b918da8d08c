"""Custom media attached to conversations: the `media` lists in task attributes.

An integration writes `conversations.media` (task level) or
`reservation_attributes.<WR…>.media` (one reservation's segments, replacing the task list), at
the attribute root or wrapped in `task_attributes`. Each item is one of five types:

    Raw            url, title          opened instead of the conversation screen when first
    Embedded       url, title          shown in a sandboxed iframe
    Referenced     url, title          shown as a link
    VoiceRecording url | url_provider, start_time, channels, title   played in the player
    ChatTranscript sid (CH…)           shown as a transcript

This module parses and checks lists (naming the item and field at fault), and resolves which
media a segment shows: its reservation's list, else the task's list, else the conversation's
default recording and transcript.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hindsight.domain.attributes import unwrap
from hindsight.domain.errors import InvalidParameter

TYPES = ("Raw", "Embedded", "Referenced", "VoiceRecording", "ChatTranscript")
_BY_LOWER = {t.lower(): t for t in TYPES}
DISPLAY = {
    "Raw": "external",
    "Embedded": "iframe",
    "Referenced": "link",
    "VoiceRecording": "player",
    "ChatTranscript": "transcript",
}
DEFAULT_CHANNELS = ("customer", "others")
MAX_ITEMS = 50
MAX_URL = 2048
MAX_TITLE = 256
_CHANNEL_SID = re.compile(r"CH[0-9a-fA-F]{32}")
# start_time bounds: Insights accepts dates from 1901 to 2049.
_EARLIEST_MS = -2_177_452_800_000  # 1901-01-01
_LATEST_MS = 2_524_608_000_000  # 2050-01-01 (exclusive)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MediaError(InvalidParameter):
    """A media item is not acceptable; `path` names the item and field."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"Attributes {path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class MediaItem:
    type: str
    index: int
    url: str | None = None
    url_provider: str | None = None
    title: str | None = None
    start_time_ms: int | None = None
    channels: tuple[str, ...] | None = None
    sid: str | None = None
    # How the item was written when it differed from the canonical form (e.g. type casing).
    warnings: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        return DISPLAY[self.type]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        for key in ("url", "url_provider", "title", "sid"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.start_time_ms is not None:
            out["start_time"] = self.start_time_ms
        if self.channels is not None:
            out["channels"] = list(self.channels)
        return out


def _http_url(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MediaError(path, "must be an absolute http or https URL")
    if len(value) > MAX_URL:
        raise MediaError(path, f"is longer than {MAX_URL} characters")
    match = re.fullmatch(r"(https?)://[^\s/?#]+[^\s]*", value, re.IGNORECASE)
    if match is None:
        # Refuses javascript:, data:, file:, relative and malformed URLs alike (and, matching
        # the whole value, a trailing newline that `$` would let through).
        raise MediaError(path, f"must be an absolute http or https URL, got {value[:80]!r}")
    return value


def parse_start_time(value: Any, path: str) -> int:
    """Epoch milliseconds from an integer, a numeric string or an ISO 8601 date-time."""
    if isinstance(value, bool):
        raise MediaError(path, "must be epoch milliseconds or an ISO 8601 date-time")
    millis: int
    if isinstance(value, int | float):
        millis = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value):
        millis = int(float(value))
    elif isinstance(value, str):
        text = value.strip().replace("z", "Z")
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise MediaError(
                path, f"must be epoch milliseconds or an ISO 8601 date-time, got {value!r}"
            ) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        # Exact integer arithmetic: timestamp() * 1000 is a float and can lose a millisecond.
        millis = (parsed - _EPOCH) // timedelta(milliseconds=1)
    else:
        raise MediaError(path, "must be epoch milliseconds or an ISO 8601 date-time")
    if not _EARLIEST_MS <= millis < _LATEST_MS:
        raise MediaError(path, "must fall between the years 1901 and 2049")
    return millis


def _title(value: Any, path: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise MediaError(path, "must be a string")
    return value[:MAX_TITLE]


def _channels(value: Any, path: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
        raise MediaError(path, 'must be a list of channel names such as ["customer", "others"]')
    return tuple(value)


def parse_item(raw: Any, index: int, path: str, *, strict_type: bool = False) -> MediaItem:
    if not isinstance(raw, Mapping):
        raise MediaError(path, "must be a JSON object")
    warnings: list[str] = []
    if "type" not in raw and "conversation_sid" in raw:
        # The Interactions form of a transcript reference.
        raw = {"type": "ChatTranscript", "sid": raw["conversation_sid"], "title": raw.get("title")}
    written = raw.get("type")
    if not isinstance(written, str):
        raise MediaError(f"{path}.type", f"is required: one of {', '.join(TYPES)}")
    kind = written if written in TYPES else None
    if kind is None and not strict_type:
        kind = _BY_LOWER.get(written.lower())
        if kind is not None:
            warnings.append(f"type {written!r} read as {kind!r}")
    if kind is None:
        raise MediaError(f"{path}.type", f"must be one of {', '.join(TYPES)}; got {written!r}")
    title = _title(raw.get("title"), f"{path}.title")
    if kind in ("Raw", "Embedded", "Referenced"):
        url = _http_url(raw.get("url"), f"{path}.url")
        return MediaItem(kind, index, url=url, title=title, warnings=tuple(warnings))
    if kind == "ChatTranscript":
        sid = raw.get("sid")
        if not isinstance(sid, str) or not _CHANNEL_SID.fullmatch(sid):
            raise MediaError(f"{path}.sid", "must be a chat channel SID (CH + 32 hex digits)")
        return MediaItem(kind, index, sid=sid, title=title, warnings=tuple(warnings))
    has_url, has_provider = raw.get("url") is not None, raw.get("url_provider") is not None
    if has_url == has_provider:
        raise MediaError(f"{path}.url", "give exactly one of url and url_provider")
    start = raw.get("start_time")
    return MediaItem(
        kind,
        index,
        url=_http_url(raw["url"], f"{path}.url") if has_url else None,
        url_provider=(
            _http_url(raw["url_provider"], f"{path}.url_provider") if has_provider else None
        ),
        title=title,
        start_time_ms=parse_start_time(start, f"{path}.start_time") if start is not None else None,
        channels=_channels(raw["channels"], f"{path}.channels") if "channels" in raw else None,
        warnings=tuple(warnings),
    )


def parse_list(raw: Any, path: str, *, strict_type: bool = False) -> list[MediaItem]:
    """A whole media list; the first problem raises, naming its item and field."""
    if not isinstance(raw, list):
        raise MediaError(path, "must be a list of media items")
    if len(raw) > MAX_ITEMS:
        raise MediaError(path, f"has {len(raw)} items; at most {MAX_ITEMS} are kept per list")
    return [
        parse_item(item, i, f"{path}[{i}]", strict_type=strict_type) for i, item in enumerate(raw)
    ]


def parse_list_lenient(raw: Any, path: str) -> tuple[list[MediaItem], list[str]]:
    """For data we must take as it comes (events from Twilio): keep what is valid, list the rest."""
    if not isinstance(raw, list):
        return [], [f"{path}: must be a list of media items"]
    items, problems = [], []
    for i, item in enumerate(raw[:MAX_ITEMS]):
        try:
            items.append(parse_item(item, i, f"{path}[{i}]"))
        except MediaError as exc:
            problems.append(exc.message)
    return items, problems


@dataclass(frozen=True)
class MediaLists:
    task: list[MediaItem] | None = None
    reservations: dict[str, list[MediaItem]] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


def media_lists(attributes: Mapping[str, Any], *, strict: bool) -> MediaLists:
    """The task-level and reservation-level lists of a task's attributes.

    `strict` (a write through our API): any problem raises MediaError. Otherwise invalid items
    are left out and reported in `problems`.
    """
    root = unwrap(attributes)
    task: list[MediaItem] | None = None
    reservations: dict[str, list[MediaItem]] = {}
    problems: list[str] = []

    def read(raw: Any, path: str) -> list[MediaItem]:
        if strict:
            return parse_list(raw, path)
        items, found = parse_list_lenient(raw, path)
        problems.extend(found)
        return items

    conversations = root.get("conversations")
    if isinstance(conversations, Mapping) and "media" in conversations:
        task = read(conversations["media"], "conversations.media")
    elif strict and "conversations" in root and not isinstance(conversations, Mapping):
        raise MediaError("conversations", "must be a JSON object")
    per_reservation = root.get("reservation_attributes")
    if isinstance(per_reservation, Mapping):
        for sid, value in per_reservation.items():
            if isinstance(value, Mapping) and "media" in value:
                reservations[str(sid)] = read(value["media"], f"reservation_attributes.{sid}.media")
    return MediaLists(task=task, reservations=reservations, problems=tuple(problems))


def default_media(attributes: Mapping[str, Any]) -> list[MediaItem]:
    """What a conversation shows without custom media: its recording link and chat transcript."""
    root = unwrap(attributes)
    items: list[MediaItem] = []
    conversations = root.get("conversations")
    link = conversations.get("segment_link") if isinstance(conversations, Mapping) else None
    if isinstance(link, str):
        with contextlib.suppress(MediaError):
            items.append(
                MediaItem("VoiceRecording", 0, url=_http_url(link, "segment_link"), title="Call")
            )
    for key in ("conversationSid", "channelSid"):
        sid = root.get(key)
        if isinstance(sid, str) and _CHANNEL_SID.fullmatch(sid):
            items.append(MediaItem("ChatTranscript", len(items), sid=sid, title="Chat"))
            break
    return [replace(item, index=i) for i, item in enumerate(items)]


@dataclass(frozen=True)
class ResolvedMedia:
    """The media a segment shows, and how."""

    level: str  # "reservation", "task" or "default"
    items: list[MediaItem]
    playable: frozenset[int]  # indexes the player may play
    opens_externally: bool  # the first item is Raw: drill-down opens it instead of the screen


def resolve(
    lists: MediaLists,
    reservation_sid: str | None,
    defaults: list[MediaItem],
    *,
    extended: bool,
) -> ResolvedMedia:
    """Reservation list over task list over defaults (replacement, never merge).

    An empty list counts as no custom media: defaults are replaced only when custom links are
    present. Compatible mode plays only the first VoiceRecording, as Flex does; extended mode
    plays all.
    """
    if reservation_sid is not None and lists.reservations.get(reservation_sid):
        level, items = "reservation", lists.reservations[reservation_sid]
    elif lists.task:
        level, items = "task", lists.task
    else:
        level, items = "default", defaults
    recordings = [i.index for i in items if i.type == "VoiceRecording"]
    playable = frozenset(recordings if extended else recordings[:1])
    return ResolvedMedia(
        level=level,
        items=items,
        playable=playable,
        opens_externally=bool(items) and items[0].type == "Raw",
    )
