"""Call recordings Hindsight holds itself: what links them, their channel maps, byte ranges.

A recording is linked to the conversation it belongs to by a task, a reservation and/or a call
SID. It becomes the default VoiceRecording of the segments it is linked to (custom media still
overrides it, as it overrides any default). Its channels are named in order: the first is the
customer (left), the second the agent and everyone else (right), as Flex names them.

Byte ranges follow RFC 9110 §14: one range per request. A Range header Hindsight does not
serve as a range (malformed, another unit, several ranges) is ignored and the whole file sent
with 200, which the RFC allows; a well-formed range that starts past the end is 416.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.media import DEFAULT_CHANNELS, MediaError, parse_start_time
from hindsight.domain.sids import Prefix, is_sid

MONO_CHANNELS = ("mixed",)
MAX_TITLE = 256
MAX_CHANNEL_NAME = 32
# Call SIDs come from Twilio (or another carrier through an integration): CA and 32 hex.
_CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
_CHANNEL_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
# Hindsight's own recording resource or its media, on whatever host the server is reached at.
_OWN_RECORDING_URL = re.compile(
    r"^https?://[^/?#\s]+(?:/[^?#\s]*)?/api/v1/recordings/(RE[0-9a-f]{32})(?:/media)?/?(?:[?#].*)?$"
)
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class RecordingLinks:
    """What a recording belongs to; at least one of task, reservation and call."""

    task_sid: str | None = None
    reservation_sid: str | None = None
    call_sid: str | None = None
    workspace_sid: str | None = None

    def __post_init__(self) -> None:
        if not (self.task_sid or self.reservation_sid or self.call_sid):
            raise InvalidParameter(
                "Link the recording to what it records: give task_sid, reservation_sid or "
                "call_sid (at least one)"
            )
        for name, value, prefix in (
            ("task_sid", self.task_sid, Prefix.TASK),
            ("reservation_sid", self.reservation_sid, Prefix.RESERVATION),
            ("workspace_sid", self.workspace_sid, Prefix.WORKSPACE),
        ):
            if value is not None and not is_sid(value, prefix):
                raise InvalidParameter(
                    f"{name} must be {prefix.value} followed by 32 hex digits, got {value[:40]!r}"
                )
        if self.call_sid is not None and not _CALL_SID.match(self.call_sid):
            raise InvalidParameter(
                f"call_sid must be CA followed by 32 hex digits, got {self.call_sid[:40]!r}"
            )


def is_call_sid(value: str) -> bool:
    return _CALL_SID.match(value) is not None


def is_recording_sid(value: str) -> bool:
    return is_sid(value, Prefix.RECORDING)


def held_recording_sid(url: str | None) -> str | None:
    """The RE… SID when `url` names one of Hindsight's own recordings (or its media)."""
    if not url:
        return None
    match = _OWN_RECORDING_URL.match(url)
    return match.group(1) if match else None


def parse_channel_names(text: str | None) -> tuple[str, ...] | None:
    """The `channels` form field: a JSON list of channel names, or None when not given."""
    if text is None or text == "":
        return None
    try:
        value: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidParameter(
            'channels must be a JSON list of channel names such as ["customer", "others"]'
        ) from None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidParameter(
            'channels must be a JSON list of channel names such as ["customer", "others"]'
        )
    for name in value:
        if not _CHANNEL_NAME.match(name):
            raise InvalidParameter(
                f"channels: {name[:40]!r} is not a channel name (1 to {MAX_CHANNEL_NAME} "
                "letters, digits, '_', '-' or '.')"
            )
    return tuple(value)


def channel_map(given: Sequence[str] | None, channel_count: int) -> tuple[str, ...]:
    """The names of the file's channels, in order (first = customer, left)."""
    if given is None:
        if channel_count == 1:
            return MONO_CHANNELS
        if channel_count == 2:
            return DEFAULT_CHANNELS
        raise InvalidParameter(
            f"The file has {channel_count} channels; name them with channels (a JSON list)"
        )
    if len(given) != channel_count:
        raise InvalidParameter(
            f"channels names {len(given)} channels but the file has {channel_count}"
        )
    return tuple(given)


def parse_recording_start(value: str | None) -> int | None:
    """`start_time`: epoch milliseconds, a numeric string or ISO 8601 (as custom media)."""
    if value is None or value.strip() == "":
        return None
    try:
        return parse_start_time(value, "start_time")
    except MediaError as exc:
        raise InvalidParameter(f"start_time {exc.problem}") from None


def parse_title(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    if len(value) > MAX_TITLE:
        raise InvalidParameter(f"title is longer than {MAX_TITLE} characters")
    return value


# --- byte ranges ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ByteRange:
    """Bytes `start` to `end` inclusive, as Content-Range counts them."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable:
    """A well-formed single range none of whose bytes exist: answered 416."""

    def __repr__(self) -> str:
        return "UNSATISFIABLE"


UNSATISFIABLE = Unsatisfiable()


def parse_range(header: str | None, size: int) -> ByteRange | Unsatisfiable | None:
    """The part of a `size`-byte file a Range header asks for; None means the whole file.

    None also answers what we do not serve as a range (see the module docstring).
    """
    if header is None or size <= 0:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.group(1), match.group(2)
    if first == "" and last == "":
        return None
    if len(first) > 19 or len(last) > 19:
        # Past any file size we could hold: a start that large cannot be satisfied, an end
        # that large means "to the end", and a suffix that large means "all of it".
        if first == "":
            return ByteRange(0, size - 1)
        if len(first) > 19:
            return UNSATISFIABLE
        return ByteRange(int(first), size - 1) if int(first) < size else UNSATISFIABLE
    if first == "":
        suffix = int(last)
        if suffix == 0:
            return UNSATISFIABLE
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    if last and int(last) < start:
        return None  # invalid (RFC 9110 §14.1.1): ignored
    if start >= size:
        return UNSATISFIABLE
    end = int(last) if last else size - 1
    return ByteRange(start, min(end, size - 1))


def if_range_allows(if_range: str | None, etag: str, last_modified: str) -> bool:
    """Whether to honour Range: no If-Range, or it names the current representation.

    ETags compare strongly (a weak one never matches, RFC 9110 §13.1.5); a date must equal
    Last-Modified exactly, since our modification times are exact to the second only.
    """
    if if_range is None:
        return True
    value = if_range.strip()
    if value.startswith('"') or value.startswith("W/"):
        return value == etag
    return value == last_modified
