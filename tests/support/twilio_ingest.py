"""Twilio's side of ingest, for tests: the fixture call, fresh SIDs, signed posts."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from twilio.request_validator import RequestValidator

from hindsight.domain.signature import compute_signature

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "twilio"
_SID = re.compile(r"\b([A-Z]{2})([0-9a-f]{32})\b")


@dataclass
class TwilioCall:
    """The fixture call, with SIDs of its own: callbacks (form posts) and an Event Streams batch."""

    callbacks: list[dict[str, str]]
    cloud_events: list[dict[str, Any]]
    renamed: dict[str, str] = field(default_factory=dict)

    @property
    def first(self) -> dict[str, str]:
        return self.callbacks[0]

    @property
    def twilio_account_sid(self) -> str:
        return self.first["AccountSid"]

    @property
    def workspace_sid(self) -> str:
        return self.first["WorkspaceSid"]

    @property
    def task_sid(self) -> str:
        return self.first["TaskSid"]

    @property
    def reservation_sid(self) -> str:
        return next(c["ReservationSid"] for c in self.callbacks if "ReservationSid" in c)

    @property
    def call_sid(self) -> str:
        return json.loads(self.first["TaskAttributes"])["call_sid"]

    @property
    def event_sids(self) -> list[str]:
        return [c["Sid"] for c in self.callbacks]


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def load_call(fresh: bool = True) -> TwilioCall:
    """The fixture call; with `fresh`, every SID (in both files alike) replaced by a new one."""
    texts = [
        fixture_text("call_taskrouter_callbacks.json"),
        fixture_text("call_event_streams.json"),
    ]
    renamed: dict[str, str] = {}
    if fresh:

        def rename(match: re.Match[str]) -> str:
            old = match.group(0)
            if old not in renamed:
                renamed[old] = match.group(1) + secrets.token_hex(16)
            return renamed[old]

        texts = [_SID.sub(rename, text) for text in texts]
    return TwilioCall(json.loads(texts[0]), json.loads(texts[1]), renamed)


def new_auth_token() -> str:
    return secrets.token_hex(16)


def sign_form(token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature for a form post, as Twilio computes it (checked with twilio-python)."""
    signature = compute_signature(token, url, params)
    assert RequestValidator(token).validate(url, params, signature)
    return signature


def with_body_hash(url: str, body: bytes) -> str:
    digest = hashlib.sha256(body).hexdigest()
    return f"{url}{'&' if '?' in url else '?'}bodySHA256={digest}"


def sign_json(token: str, url_with_hash: str, body: bytes) -> str:
    """X-Twilio-Signature for a JSON post (the bodySHA256 variant; checked with twilio-python)."""
    signature = compute_signature(token, url_with_hash, {})
    assert RequestValidator(token).validate(url_with_hash, body.decode("utf-8"), signature)
    return signature


def taskrouter_url(base: str, source_sid: str) -> str:
    return f"{base}/ingest/twilio/{source_sid}/taskrouter"


def event_streams_url(base: str, source_sid: str) -> str:
    return f"{base}/ingest/twilio/{source_sid}/event-streams"


def post_callback(
    base: str,
    source_sid: str,
    token: str,
    params: dict[str, str],
    *,
    signed_base: str | None = None,
    signature: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST one EventCallbackUrl event, signed over `signed_base` (default: `base`)."""
    url = taskrouter_url(base, source_sid)
    if signature is None:
        signature = sign_form(token, taskrouter_url(signed_base or base, source_sid), params)
    return httpx.post(
        url,
        data=params,
        headers={"X-Twilio-Signature": signature, **(headers or {})},
        timeout=30,
    )


def post_batch(
    base: str,
    source_sid: str,
    token: str,
    cloud_events: Any,
    *,
    body: bytes | None = None,
    signed_base: str | None = None,
    signature: str | None = None,
    hash_of: bytes | None = None,
) -> httpx.Response:
    """POST an Event Streams batch, with bodySHA256 (of `hash_of`, default the body) and signed."""
    content = body if body is not None else json.dumps(cloud_events).encode("utf-8")
    digest_source = hash_of if hash_of is not None else content
    url = with_body_hash(event_streams_url(base, source_sid), digest_source)
    if signature is None:
        signed = with_body_hash(event_streams_url(signed_base or base, source_sid), digest_source)
        signature = (
            sign_json(token, signed, content)
            if hash_of is None
            else compute_signature(token, signed, {})
        )
    return httpx.post(
        url,
        content=content,
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/json"},
        timeout=30,
    )
