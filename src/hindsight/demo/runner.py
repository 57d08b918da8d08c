"""Feeding the simulated week to a running Hindsight, through its Twilio ingest API.

The demo plays a Twilio account: it registers a Twilio source for a Hindsight account and posts
the week's TaskRouter event callbacks, signed with that source's Auth Token, exactly as Twilio
would. Events keep their own (past) timestamps, so reports show a real week.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx

from hindsight.domain.signature import compute_signature
from hindsight.eventlog.twilio_sources import TASKROUTER_PATH


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


def wait_for_projection(read_position: Callable[[], int], last_seq: int, timeout: float) -> bool:
    """Wait until the projection has taken in the log up to `last_seq`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if read_position() >= last_seq:
            return True
        time.sleep(0.2)
    return False
