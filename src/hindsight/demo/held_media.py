"""Media the demo puts in Hindsight itself, so its conversation screens play and read.

Chats get transcripts written through the Conversations API (participants and messages at the
times the chat ran); some calls get a synthetic two-channel recording uploaded through the
recordings API, linked by call SID, whose URL then replaces the example URL in the task's
media. Everything goes through the same HTTP APIs an integration would use.
"""

from __future__ import annotations

import io
import json
import random
import secrets
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import numpy as np

RATE = 8_000
_OPENERS = (
    "Hi, I need help with my order",
    "Hello, my invoice looks wrong",
    "Hi there, I can't log in to my account",
    "Good morning, I want to change my delivery address",
)
_AGENT = (
    "Thanks for reaching out, let me look into that.",
    "I can see your account now.",
    "One moment while I check the details.",
    "That's fixed now; you'll get a confirmation e-mail.",
    "Is there anything else I can help with?",
)
_CUSTOMER = (
    "Thank you.",
    "It's order 48213.",
    "Yes, that's the one.",
    "Great, that was quick!",
    "No, that's all. Bye!",
)


@dataclass
class TaskTimes:
    created: int
    accepted: int | None = None
    wrapped: int | None = None
    agent: str | None = None


@dataclass
class HeldMedia:
    # The example URL or SID a media item named -> the fields it gets instead.
    replacements: dict[str, dict[str, Any]] = field(default_factory=dict)
    transcripts: int = 0
    recordings: int = 0

    def rewrite(self, attributes_json: str) -> str:
        """Task attributes with their media items (and `channelSid`) naming what is held."""
        attributes = json.loads(attributes_json)
        for item in attributes.get("conversations", {}).get("media", []):
            key = item.get("sid") or item.get("url")
            if key in self.replacements:
                item.update(self.replacements[key])
        channel = attributes.get("channelSid")
        if channel in self.replacements:
            attributes["channelSid"] = self.replacements[channel]["sid"]
        return json.dumps(attributes)


def _task_times(events: list[dict[str, str]]) -> dict[str, TaskTimes]:
    times: dict[str, TaskTimes] = {}
    for form in events:
        task, at = form.get("TaskSid"), int(form["TimestampMs"])
        if not task:
            continue
        kind = form["EventType"]
        if kind == "task.created":
            times[task] = TaskTimes(created=at)
        elif task in times and kind == "reservation.accepted":
            times[task].accepted, times[task].agent = at, form.get("WorkerName")
        elif task in times and kind == "task.wrapup":
            times[task].wrapped = at
    return times


def _iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _media_of(form: dict[str, str]) -> list[dict[str, Any]]:
    attributes = json.loads(form.get("TaskAttributes") or "{}")
    return attributes.get("conversations", {}).get("media", [])


def _checked(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    return response.json()


def _transcript(http: httpx.Client, times: TaskTimes, customer: str, rng: random.Random) -> str:
    start = times.accepted or times.created
    end = times.wrapped or start + 180_000
    chat = _checked(
        http.post(
            "/v1/Conversations",
            data={"FriendlyName": f"Web chat with {customer}", "DateCreated": _iso(start)},
        )
    )
    sid = chat["sid"]
    visitor = f"visitor-{secrets.token_hex(3)}"
    agent = times.agent or "Agent"
    for identity, role in ((visitor, "customer"), (agent, "agent")):
        _checked(
            http.post(
                f"/v1/Conversations/{sid}/Participants",
                data={"Identity": identity, "Attributes": json.dumps({"role": role})},
            )
        )
    lines = [(visitor, rng.choice(_OPENERS))]
    for turn in range(rng.randint(2, 4)):
        lines.append((agent, _AGENT[min(turn, len(_AGENT) - 1)]))
        lines.append((visitor, _CUSTOMER[min(turn, len(_CUSTOMER) - 1)]))
    step = max((end - start) // (len(lines) + 1), 1_000)
    for n, (author, body) in enumerate(lines):
        _checked(
            http.post(
                f"/v1/Conversations/{sid}/Messages",
                data={"Author": author, "Body": body, "DateCreated": _iso(start + n * step)},
            )
        )
    return sid


def conversation_audio(seconds: float, seed: int) -> bytes:
    """A two-channel 8 kHz WAV that sounds like turns of speech: voiced bursts on the agent's
    channel (right) and the customer's (left), with pauses, a little overlap and a long
    silence, over a faint line noise."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    channels = rng.normal(0.0, 60.0, size=(2, n))
    t, speaker = 0.4, 1  # the agent greets first
    while t < seconds - 1.0:
        length = float(rng.uniform(1.2, 5.5))
        begin, end = int(t * RATE), min(int((t + length) * RATE), n)
        f0 = 110.0 if speaker == 1 else 190.0
        times = np.arange(end - begin) / RATE
        voiced = sum(np.sin(2 * np.pi * f0 * k * times) / k for k in range(1, 6))
        syllables = 0.55 + 0.45 * np.sin(2 * np.pi * float(rng.uniform(3, 5)) * times) ** 2
        channels[speaker, begin:end] += 5_000.0 * voiced * syllables
        overlap = rng.random() < 0.12
        pause = -0.6 if overlap else float(rng.uniform(0.3, 1.4))
        if rng.random() < 0.06:
            pause = float(rng.uniform(4.0, 8.0))  # someone looks something up
        t += length + pause
        speaker = 1 - speaker
    samples = np.clip(channels.T, -32_000, 32_000).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def _recording(http: httpx.Client, times: TaskTimes, n: int) -> tuple[str, int]:
    start = (times.accepted or times.created) - 1_000  # a second early, as Flex plug-ins do
    talk = ((times.wrapped or start + 90_000) - start) / 1000
    seconds = max(20.0, min(talk, 150.0))
    response = http.post(
        "/api/v1/recordings",
        files={"file": ("call.wav", conversation_audio(seconds, seed=n), "audio/wav")},
        data={
            "call_sid": "CA" + secrets.token_hex(16),
            "start_time": str(start),
            "channels": '["customer", "others"]',
            "title": "Call recording",
        },
        timeout=120,
    )
    return _checked(response)["sid"], start


def put_in_place(
    base_url: str,
    auth: tuple[str, str],
    events: list[dict[str, str]],
    *,
    recordings: int,
    seed: int,
    progress: Callable[[int], None] = lambda _n: None,
) -> HeldMedia:
    """Create transcripts for the chats and `recordings` call recordings; rewrite the events'
    task attributes to name them. Returns what was replaced."""
    rng = random.Random(seed)
    times = _task_times(events)
    held = HeldMedia()
    base = base_url.rstrip("/")
    with httpx.Client(base_url=base, auth=auth, timeout=60) as http:
        for form in events:
            if form["EventType"] != "task.created" or form["TaskSid"] not in times:
                continue
            task = times[form["TaskSid"]]
            for item in _media_of(form):
                old = item.get("sid") or item.get("url")
                if not old or old in held.replacements or task.accepted is None:
                    continue
                if item.get("type") == "ChatTranscript":
                    customer = json.loads(form["TaskAttributes"]).get("customers", {})
                    sid = _transcript(http, task, customer.get("name", "a customer"), rng)
                    held.replacements[old] = {"sid": sid}
                    held.transcripts += 1
                elif item.get("type") == "VoiceRecording" and held.recordings < recordings:
                    sid, start = _recording(http, task, held.recordings)
                    url = f"{base}/api/v1/recordings/{sid}"
                    held.replacements[old] = {"url": url, "start_time": start}
                    held.recordings += 1
                progress(1)
    for form in events:
        if form.get("TaskAttributes"):
            form["TaskAttributes"] = held.rewrite(form["TaskAttributes"])
    return held
