"""Events from a real Twilio account, mapped to Hindsight's event log.

Twilio reports TaskRouter events in two shapes:

* EventCallbackUrl: one form post per event, PascalCase parameters, all strings (`Sid`,
  `EventType`, `TaskSid`, `TaskAttributes`, `Timestamp` in epoch seconds, `TimestampMs`, ...);
* Event Streams: a JSON list of CloudEvents, `type` = `com.twilio.taskrouter.<event type>`,
  whose `data.payload` has snake_case keys and JSON values (`task_age` a number, `timestamp` and
  dates ISO 8601 with milliseconds).

Both become an `IngestedEvent`: the envelope (SID, type, resource, actor, Twilio's time) and the
flat `event_data` mapping of snake_case names to strings that Hindsight's own events carry
(see `events.py`): numbers and booleans as their text, dates as epoch seconds, nested JSON as
its text. The same event reported both ways maps to the same `IngestedEvent`.

Malformed input raises `InvalidParameter`: nothing of a malformed request is stored.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.events import EVENT_TYPES, snake_case
from hindsight.domain.sids import Prefix, is_sid
from hindsight.domain.timefmt import iso8601_ms

SOURCE_PREFIX = "IS"
TASKROUTER_TYPE_PREFIX = "com.twilio.taskrouter."
TWILIO_SOURCE = "twilio"

# Column widths of the `events` table; longer values are malformed, not truncated.
_MAX_EVENT_TYPE = 64
_MAX_RESOURCE_TYPE = 32
_MAX_ACTOR_TYPE = 32
_MAX_SID = 34
_LOOSE_SID = re.compile(r"^[A-Z]{2}[0-9A-Za-z]{1,32}$")

# Callback parameters that make the envelope; everything else is event data.
_CALLBACK_ENVELOPE = frozenset(
    {
        "Sid",
        "EventType",
        "AccountSid",
        "EventDescription",
        "ResourceType",
        "ResourceSid",
        "Timestamp",
        "TimestampMs",
        "ActorType",
        "ActorSid",
    }
)
# Event Streams payload keys that make the envelope.
_PAYLOAD_ENVELOPE = frozenset(
    {
        "sid",
        "eventtype",
        "account_sid",
        "event_description",
        "resource_type",
        "resource_sid",
        "timestamp",
        "actor_type",
        "actor_sid",
    }
)
# Event data the log indexes (SID-wide columns of `events`).
_INDEXED_SIDS = ("task_sid", "worker_sid", "reservation_sid", "task_queue_sid", "workflow_sid")
# Date fields: Event Streams sends ISO 8601, callbacks (and Hindsight's log) epoch seconds.
_DATE_SUFFIXES = ("_date", "_date_created", "_date_updated", "start_time", "_status_change")


@dataclass(frozen=True)
class IngestedEvent:
    """One TaskRouter event as Twilio reported it, ready to append to a workspace's log."""

    sid: str
    event_type: str
    twilio_account_sid: str
    workspace_sid: str
    workspace_name: str | None
    resource_type: str
    resource_sid: str
    description: str
    event_date_ms: int
    actor_type: str | None = None
    actor_sid: str | None = None
    data: dict[str, str] = field(default_factory=dict)

    @property
    def known_type(self) -> bool:
        return self.event_type in EVENT_TYPES


def new_source_sid() -> str:
    return f"{SOURCE_PREFIX}{secrets.token_hex(16)}"


def is_source_sid(value: str) -> bool:
    return is_sid(value) and value.startswith(SOURCE_PREFIX)


# --- EventCallbackUrl ----------------------------------------------------------------------------


def from_callback(pairs: Iterable[tuple[str, str]], received_ms: int) -> IngestedEvent:
    """The event one EventCallbackUrl post reports (its form parameters, decoded)."""
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise InvalidParameter(f"{name} was given more than once; TaskRouter sends it once")
        params[name] = _text(value, name)
    data = {
        snake_case(name): value
        for name, value in params.items()
        if name not in _CALLBACK_ENVELOPE and name
    }
    event_type = _event_type(params.get("EventType"), "EventType")
    workspace_sid = _sid(params.get("WorkspaceSid"), Prefix.WORKSPACE, "WorkspaceSid")
    data["workspace_sid"] = workspace_sid
    return _event(
        sid=_sid(params.get("Sid"), Prefix.EVENT, "Sid"),
        event_type=event_type,
        account_sid=_sid(params.get("AccountSid"), Prefix.ACCOUNT, "AccountSid"),
        workspace_sid=workspace_sid,
        resource_type=params.get("ResourceType"),
        resource_sid=params.get("ResourceSid"),
        description=params.get("EventDescription"),
        event_date_ms=_callback_time(params, received_ms),
        actor_type=params.get("ActorType"),
        actor_sid=params.get("ActorSid"),
        data=data,
    )


def _callback_time(params: Mapping[str, str], received_ms: int) -> int:
    millis = params.get("TimestampMs", "").strip()
    if millis:
        return _epoch(millis, "TimestampMs", scale=1)
    seconds = params.get("Timestamp", "").strip()
    if seconds:
        return _epoch(seconds, "Timestamp", scale=1000)
    return received_ms


def _epoch(value: str, name: str, scale: int) -> int:
    if value.isdigit():
        number = int(value) * scale
        if number < 2**53:
            return number
    # Not a number: Twilio documents no format for Timestamp, so take an ISO date as well.
    return _iso_ms(value, name)


# --- Event Streams -----------------------------------------------------------------------------


def from_event_streams(document: Any, received_ms: int) -> list[IngestedEvent]:
    """The TaskRouter events of one Event Streams webhook delivery (a JSON list of CloudEvents).

    Events of other Twilio products (a sink may carry several) are left out: they belong to no
    TaskRouter workspace. TaskRouter event types Hindsight does not know are kept.
    """
    cloud_events = document if isinstance(document, list) else [document]
    out = []
    for index, cloud_event in enumerate(cloud_events):
        where = f"event {index}"
        if not isinstance(cloud_event, dict):
            raise InvalidParameter(f"{where} is not a JSON object (a CloudEvent)")
        kind = cloud_event.get("type")
        if not isinstance(kind, str):
            raise InvalidParameter(f"{where} has no CloudEvents `type`")
        if not kind.startswith(TASKROUTER_TYPE_PREFIX):
            continue
        out.append(_from_cloud_event(cloud_event, kind[len(TASKROUTER_TYPE_PREFIX) :], where))
    return out


def _from_cloud_event(cloud_event: dict[str, Any], event_type: str, where: str) -> IngestedEvent:
    wrapper = cloud_event.get("data")
    if not isinstance(wrapper, dict):
        raise InvalidParameter(f"{where} has no `data` object")
    payload = wrapper.get("payload")
    if not isinstance(payload, dict):
        raise InvalidParameter(f"{where} has no `data.payload` object")
    data: dict[str, str] = {}
    for key, value in payload.items():
        if not isinstance(key, str) or key in _PAYLOAD_ENVELOPE:
            continue
        text = _payload_text(key, value, where)
        if text is not None:
            data[key] = text
    workspace_sid = _sid(
        _scalar(payload.get("workspace_sid"), f"{where}: workspace_sid"),
        Prefix.WORKSPACE,
        f"{where}: workspace_sid",
    )
    data["workspace_sid"] = workspace_sid

    def envelope(key: str) -> str | None:
        return _scalar(payload.get(key, wrapper.get(key)), f"{where}: {key}")

    return _event(
        sid=_sid(envelope("sid"), Prefix.EVENT, f"{where}: sid"),
        event_type=_event_type(
            event_type or _scalar(payload.get("eventtype"), where), f"{where}: type"
        ),
        account_sid=_sid(envelope("account_sid"), Prefix.ACCOUNT, f"{where}: account_sid"),
        workspace_sid=workspace_sid,
        resource_type=_scalar(payload.get("resource_type"), f"{where}: resource_type"),
        resource_sid=_scalar(payload.get("resource_sid"), f"{where}: resource_sid"),
        description=_scalar(payload.get("event_description"), f"{where}: event_description"),
        event_date_ms=_stream_time(payload, wrapper, cloud_event, where),
        actor_type=_scalar(payload.get("actor_type"), f"{where}: actor_type"),
        actor_sid=_scalar(payload.get("actor_sid"), f"{where}: actor_sid"),
        data=data,
    )


def _stream_time(
    payload: Mapping[str, Any],
    wrapper: Mapping[str, Any],
    cloud_event: Mapping[str, Any],
    where: str,
) -> int:
    for value in (payload.get("timestamp"), wrapper.get("timestamp"), cloud_event.get("time")):
        if isinstance(value, str) and value.strip():
            return _iso_ms(value, f"{where}: timestamp")
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53:
            return value
    raise InvalidParameter(f"{where} has no timestamp")


def _payload_text(key: str, value: Any, where: str) -> str | None:
    """A payload value as event data holds it: text, with dates as epoch seconds."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        text = _text(value, f"{where}: {key}")
        if key.endswith(_DATE_SUFFIXES) and "T" in text:
            try:
                return str(_iso_ms(text, key) // 1000)
            except InvalidParameter:
                return text
        return text
    # Objects and lists: their JSON text, as TaskRouter gives attributes.
    return _text(orjson.dumps(value).decode("utf-8"), f"{where}: {key}")


def _scalar(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise InvalidParameter(f"{name} must be a string")


# --- shared -----------------------------------------------------------------------------------


def _event(
    *,
    sid: str,
    event_type: str,
    account_sid: str,
    workspace_sid: str,
    resource_type: str | None,
    resource_sid: str | None,
    description: str | None,
    event_date_ms: int,
    actor_type: str | None,
    actor_sid: str | None,
    data: dict[str, str],
) -> IngestedEvent:
    for key in _INDEXED_SIDS:
        if key in data:
            data[key] = _loose_sid(data[key], key) or ""
    return IngestedEvent(
        sid=sid,
        event_type=event_type,
        twilio_account_sid=account_sid,
        workspace_sid=workspace_sid,
        workspace_name=data.get("workspace_name") or None,
        resource_type=_resource_type(resource_type, event_type),
        resource_sid=_resource_sid(resource_sid, event_type, data, workspace_sid),
        description=_text(description or "", "description"),
        event_date_ms=event_date_ms,
        actor_type=_bounded(actor_type, _MAX_ACTOR_TYPE, "actor_type"),
        actor_sid=_loose_sid(actor_sid, "actor_sid"),
        data=data,
    )


def _resource_type(given: str | None, event_type: str) -> str:
    # Kept as Twilio wrote it; when absent, what the event type concerns.
    value = (given or "").strip() or EVENT_TYPES.get(event_type) or event_type.split(".")[0]
    return _bounded(value, _MAX_RESOURCE_TYPE, "ResourceType") or ""


_RESOURCE_KEYS = {
    "task": "task_sid",
    "reservation": "reservation_sid",
    "worker": "worker_sid",
    "activity": "activity_sid",
    "workflow": "workflow_sid",
    "task_queue": "task_queue_sid",
    "task_channel": "task_channel_sid",
}


def _resource_sid(
    given: str | None, event_type: str, data: Mapping[str, str], workspace_sid: str
) -> str:
    value = (given or "").strip()
    if not value:
        key = _RESOURCE_KEYS.get(EVENT_TYPES.get(event_type, ""), "")
        value = data.get(key) or workspace_sid
    return _loose_sid(value, "ResourceSid") or workspace_sid


def _event_type(value: str | None, name: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidParameter(f"Missing {name}: which TaskRouter event this is")
    if len(text) > _MAX_EVENT_TYPE or not re.fullmatch(r"[a-z0-9][a-z0-9.\-_]*", text):
        raise InvalidParameter(f"{name} {text[:80]!r} is not a TaskRouter event type")
    return text


def _sid(value: str | None, prefix: Prefix, name: str) -> str:
    text = (value or "").strip()
    if not is_sid(text, prefix):
        shown = repr(text[:40]) if text else "nothing"
        raise InvalidParameter(
            f"{name} must be a SID starting with {prefix.value} followed by 32 hex digits, "
            f"got {shown}"
        )
    return text


def _loose_sid(value: str | None, name: str) -> str | None:
    """A SID-like value Twilio reports (resource, actor): two capitals and up to 32 more."""
    if value is None or value == "":
        return None
    if len(value) > _MAX_SID or not _LOOSE_SID.match(value):
        raise InvalidParameter(f"{name} must be a Twilio SID, got {value[:40]!r}")
    return value


def _bounded(value: str | None, limit: int, name: str) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > limit:
        raise InvalidParameter(f"{name} is longer than {limit} characters")
    return _text(value, name)


def _text(value: str, name: str) -> str:
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL; refuse it for both stores alike.
        raise InvalidParameter(f"{name} must not contain NUL")
    return value


def _iso_ms(value: str, name: str) -> int:
    epoch_ms = iso8601_ms(value)
    if epoch_ms is None:
        raise InvalidParameter(
            f"{name} must be a date-time such as 2025-01-01T00:00:00.000Z or epoch seconds, "
            f"got {value[:40]!r}"
        )
    return epoch_ms
