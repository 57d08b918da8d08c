"""Media the demo puts in Hindsight itself, so its conversation screens play and read.

Chats get transcripts written through the Conversations API (participants and messages at the
times the chat ran). Every answered call gets a synthetic two-channel recording as long as its
talk: a pool of recordings of lengths spread over the week's talk times is uploaded through the
recordings API, and each call names the shortest one that covers its talk (writing hundreds of
distinct hour-long files would make the demo slow and large for nothing). A call never answered
has no recording. Everything goes through the same HTTP APIs an integration would use, and the
media name held recordings by own-site URLs (domain/own_site.py): no host or port of the
temporary server the demo ran is stored.
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

from hindsight.domain.own_site import own_site_url

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
    # The placeholder URL or SID a media item named -> the fields it gets instead.
    replacements: dict[str, dict[str, Any]] = field(default_factory=dict)
    transcripts: int = 0
    recordings: int = 0  # distinct recordings uploaded
    calls: int = 0  # calls given one of them

    def rewrite(self, attributes_json: str) -> str:
        """Task attributes with their media items (and `channelSid`) naming what is held; a
        recording placeholder with nothing held for it (a call never answered) is dropped."""
        attributes = json.loads(attributes_json)
        media = attributes.get("conversations", {}).get("media")
        if isinstance(media, list):
            kept = []
            for item in media:
                key = item.get("sid") or item.get("url")
                if key in self.replacements:
                    item.update(self.replacements[key])
                elif item.get("type") == "VoiceRecording":
                    continue
                kept.append(item)
            attributes["conversations"]["media"] = kept
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
    if times.accepted is None:  # left in the queue: nobody answered
        lines.append((visitor, "Hello? Is anyone there?"))
    for turn in range(rng.randint(2, 4) if times.accepted else 0):
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


# Recordings are at least this long, and at most this long (a longer talk gets the longest).
MIN_SECONDS, MAX_SECONDS = 20.0, 25 * 60.0


def _talk_seconds(times: TaskTimes) -> float:
    """How long the recording of a call must be: from a second before it was answered (as Flex
    plug-ins start recording) to its wrap-up."""
    start = (times.accepted or times.created) - 1_000
    return ((times.wrapped or start + 90_000) - start) / 1000


def pool_lengths(talks: list[float], size: int) -> list[float]:
    """`size` recording lengths spread evenly on a log scale over the talk times, so that every
    call finds one not much longer than its talk (the ratio between neighbours is constant)."""
    if not talks or size <= 0:
        return []
    low = max(MIN_SECONDS, min(min(talks), MAX_SECONDS))
    high = max(low, min(max(talks), MAX_SECONDS))
    if size == 1:
        return [high]
    ratio = (high / low) ** (1 / (size - 1))
    return [round(low * ratio**k, 1) for k in range(size)]


def covering(lengths: list[float], talk: float) -> int:
    """The index of the shortest length that covers `talk` (the longest if none does)."""
    for index, length in enumerate(lengths):
        if length >= talk:
            return index
    return len(lengths) - 1


def _upload(http: httpx.Client, seconds: float, n: int) -> str:
    response = http.post(
        "/api/v1/recordings",
        files={"file": ("call.wav", conversation_audio(seconds, seed=n), "audio/wav")},
        data={
            "call_sid": "CA" + secrets.token_hex(16),
            "channels": '["customer", "others"]',
            "title": "Call recording",
        },
        timeout=300,
    )
    return _checked(response)["sid"]


def _answered_calls(
    events: list[dict[str, str]], times: dict[str, TaskTimes]
) -> list[tuple[str, TaskTimes]]:
    """(placeholder URL, times) of each answered call's recording item, once each."""
    calls, seen = [], set()
    for form in events:
        if form["EventType"] != "task.created" or form["TaskSid"] not in times:
            continue
        task = times[form["TaskSid"]]
        for item in _media_of(form):
            url = item.get("url")
            if item.get("type") == "VoiceRecording" and url and url not in seen and task.accepted:
                seen.add(url)
                calls.append((url, task))
    return calls


def _chats(
    events: list[dict[str, str]], times: dict[str, TaskTimes]
) -> list[tuple[str, TaskTimes, str]]:
    """(placeholder SID, times, customer name) of each chat's transcript item (a chat left in
    the queue has its visitor's messages too)."""
    chats, seen = [], set()
    for form in events:
        if form["EventType"] != "task.created" or form["TaskSid"] not in times:
            continue
        task = times[form["TaskSid"]]
        for item in _media_of(form):
            sid = item.get("sid")
            if item.get("type") == "ChatTranscript" and sid and sid not in seen:
                seen.add(sid)
                customer = json.loads(form["TaskAttributes"]).get("customers", {})
                chats.append((sid, task, customer.get("name", "a customer")))
    return chats


def planned(events: list[dict[str, str]], recordings: int) -> int:
    """How many steps `put_in_place` reports: one per transcript and one per recording."""
    times = _task_times(events)
    calls = _answered_calls(events, times)
    pool = pool_lengths([_talk_seconds(t) for _u, t in calls], recordings)
    return len(_chats(events, times)) + len(pool)


def put_in_place(
    base_url: str,
    auth: tuple[str, str],
    events: list[dict[str, str]],
    *,
    recordings: int,
    seed: int,
    progress: Callable[[int], None] = lambda _n: None,
) -> HeldMedia:
    """Create transcripts for the chats and a pool of `recordings` recordings that every
    answered call names one of; rewrite the events' task attributes to name them."""
    rng = random.Random(seed)
    times = _task_times(events)
    held = HeldMedia()
    calls = _answered_calls(events, times)
    lengths = pool_lengths([_talk_seconds(t) for _u, t in calls], recordings)
    with httpx.Client(base_url=base_url.rstrip("/"), auth=auth, timeout=60) as http:
        for placeholder, task, customer in _chats(events, times):
            held.replacements[placeholder] = {"sid": _transcript(http, task, customer, rng)}
            held.transcripts += 1
            progress(1)
        pool = []
        for n, seconds in enumerate(lengths):
            pool.append(_upload(http, seconds, seed * 1000 + n))
            held.recordings += 1
            progress(1)
    for placeholder, task in calls if pool else []:
        sid = pool[covering(lengths, _talk_seconds(task))]
        start = (task.accepted or task.created) - 1_000
        held.replacements[placeholder] = {
            "url": own_site_url(f"/api/v1/recordings/{sid}"),
            "start_time": start,
        }
        held.calls += 1
    for form in events:
        if form.get("TaskAttributes"):
            form["TaskAttributes"] = held.rewrite(form["TaskAttributes"])
    return held
