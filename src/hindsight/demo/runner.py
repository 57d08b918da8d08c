"""Feeding the simulated week to a running Hindsight, through its Twilio ingest API.

The demo plays a Twilio account: it registers a Twilio source for a Hindsight account and sends
the week's TaskRouter events signed with that source's Auth Token, exactly as Twilio would:
as Event Streams webhook batches (CloudEvents, many events a request) or as single
EventCallbackUrl posts. Events keep their own (past) timestamps, so reports show a real week.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx
import orjson

from hindsight.domain.events import snake_case
from hindsight.domain.signature import compute_signature
from hindsight.eventlog.twilio_sources import EVENT_STREAMS_PATH, TASKROUTER_PATH

BATCH = 100
# Callback parameters that are the envelope of an event rather than its data.
_ENVELOPE = {
    "Sid": "sid",
    "EventType": "eventtype",
    "AccountSid": "account_sid",
    "EventDescription": "event_description",
    "ResourceType": "resource_type",
    "ResourceSid": "resource_sid",
    "TimestampMs": "timestamp",
}


@dataclass(frozen=True)
class DemoSource:
    source_sid: str
    twilio_account_sid: str
    auth_token: str
    workspace_sid: str


def new_identity() -> tuple[str, str, str]:
    """A simulated Twilio account: its Account SID, Auth Token and Workspace SID."""
    return "AC" + secrets.token_hex(16), secrets.token_hex(16), "WS" + secrets.token_hex(16)


def post_events(
    base_url: str,
    source: DemoSource,
    events: Iterable[dict[str, str]],
    progress: Callable[[int], None] = lambda _n: None,
) -> int:
    """POST each event as a signed EventCallbackUrl request; returns how many were accepted."""
    url = base_url.rstrip("/") + TASKROUTER_PATH.format(source=source.source_sid)
    accepted = 0
    with httpx.Client(timeout=30) as http:
        for form in events:
            signature = compute_signature(source.auth_token, url, form)
            response = http.post(url, data=form, headers={"X-Twilio-Signature": signature})
            if response.status_code >= 300:
                raise RuntimeError(
                    f"ingest refused an event: {response.status_code} {response.text}"
                )
            accepted += 1
            progress(1)
    return accepted


def cloud_event(form: dict[str, str]) -> dict[str, object]:
    """One callback-form event as Event Streams delivers it (a TaskRouter CloudEvent)."""
    payload: dict[str, object] = {
        snake_case(name): value
        for name, value in form.items()
        if name not in _ENVELOPE and name != "Timestamp"
    }
    for name, key in _ENVELOPE.items():
        if name in form:
            payload[key] = int(form[name]) if name == "TimestampMs" else form[name]
    return {
        "specversion": "1.0",
        "type": f"com.twilio.taskrouter.{form['EventType']}",
        "source": f"/v1/Workspaces/{form['WorkspaceSid']}",
        "id": form["Sid"],
        "dataschema": "https://events-schemas.twilio.com/TaskRouter.WDSEvent/1",
        "datacontenttype": "application/json",
        "time": time.strftime(
            "%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(int(form["TimestampMs"]) / 1000)
        ),
        "data": {"payload": payload},
    }


def post_batches(
    base_url: str,
    source: DemoSource,
    events: list[dict[str, str]],
    progress: Callable[[int], None] = lambda _n: None,
    batch: int = BATCH,
) -> int:
    """POST the events as signed Event Streams batches; returns how many were accepted."""
    url = base_url.rstrip("/") + EVENT_STREAMS_PATH.format(source=source.source_sid)
    accepted = 0
    with httpx.Client(timeout=60) as http:
        for start in range(0, len(events), batch):
            chunk = events[start : start + batch]
            body = orjson.dumps([cloud_event(form) for form in chunk])
            signed_url = f"{url}?bodySHA256={hashlib.sha256(body).hexdigest()}"
            response = http.post(
                signed_url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Twilio-Signature": compute_signature(source.auth_token, signed_url, {}),
                },
            )
            if response.status_code >= 300:
                raise RuntimeError(
                    f"ingest refused a batch: {response.status_code} {response.text}"
                )
            accepted += len(chunk)
            progress(len(chunk))
    return accepted


def wait_for_projection(read_position: Callable[[], int], last_seq: int, timeout: float) -> bool:
    """Wait until the projection has taken in the log up to `last_seq`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if read_position() >= last_seq:
            return True
        time.sleep(0.2)
    return False
