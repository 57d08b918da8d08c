"""Who speaks when in a recording: speech intervals, talk analytics and waveform peaks.

Pure computation on per-frame statistics of the audio (the media layer decodes and measures
frames; nothing here reads a file). A dual-channel recording names its channels in the
`VoiceRecording` item's `channels` list, `["customer", "others"]` by default: the first is the
customer (caller), every other channel is the agent side. A mono recording is one mixed
channel: speech and silence can be found, but not who spoke, so the per-speaker measures and
cross-talk are `None` for it.

Speech detection, per channel (all thresholds in dB relative to full scale, see
`SpeechParameters`):

1. Frame energy: the mean square of each `frame_ms` frame, in dBFS.
2. Adaptive noise floor: the median energy of each `floor_block_ms` block; then the lowest of
   those medians in the `floor_window_s` before a frame, and the lowest in the window after
   it; the floor is the higher of the two (near either end of the file a window that would be
   cut short is the first or last full window instead). A block of background before and
   after a turn pins the floor under it, so turns up to `floor_window_s` long are measured
   against the true background; when the background gets louder, the floor follows at once
   (both windows see the louder noise), and when it gets quieter, within `floor_window_s`.
   Blocks quieter than
   `min_floor_dbfs` (digital silence: muting, codec padding) say nothing about the background
   and are left out; the floor never goes below `min_floor_dbfs`, so faint hiss next to
   digital zeros is not speech.
3. Hysteresis: a run of frames above `floor + stop_db` is speech if at least one of its frames
   is above `floor + start_db` (and above `min_speech_dbfs`). Speech thus starts only on a
   clear rise and does not flicker off on a dip just under the start threshold.
4. Hangover: runs separated by less than `max_pause_ms` are joined, so the pauses between words
   and syllables do not split one turn into many.
5. Minimum length: joined runs shorter than `min_speech_ms` are dropped (clicks, pops, breaths).

With two or more channels, a frame more than `bleed_db` quieter than the loudest other channel
is taken for that channel's echo or crosstalk bleed (line echo, a headset heard by the phone)
and is not speech; genuine cross-talk has both sides within a few dB of each other.

Talk analytics follow the Flex Insights measure names (`conversations.*` attributes that carry
speech analytics), in whole seconds with the milliseconds truncated, as Insights reports
times. Definitions (Insights documents the names, not the formulas; these are ours):

* `agent_talk_time`, `customer_talk_time`: time that side speaks, cross-talk included.
* `crosstalk_time`: time both sides speak at once.
* `silence_time`: time neither side speaks.
  So `agent + customer - crosstalk + silence = duration` (exact in milliseconds).
* `longest_silence_before_agent`: the longest silence that the agent ends by starting to speak
  (how long the customer waited for an answer); `..._before_customer` likewise.
* `longest_talk_by_agent`, `longest_talk_by_customer`: the longest single turn of that side
  (the other side's short interjections do not end it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from hindsight.domain.conversation_attributes import SPEECH_MEASURES

# Intervals are [start_ms, end_ms) pairs, sorted, disjoint and non-empty.
Interval = tuple[int, int]

CUSTOMER = "customer"
AGENT = "agent"
MIXED = "mixed"
DEFAULT_CHANNELS = ("customer", "others")

MEASURES = SPEECH_MEASURES

# Peaks: at most this many buckets whatever the length, so one hour of stereo stays under
# 200 KB of JSON (8,000 buckets x 2 channels x min/max x at most 5 characters, "-128,").
MAX_PEAK_BUCKETS = 8000
PEAK_SCALE = 127
_SILENT_DB = -120.0


@dataclass(frozen=True)
class SpeechParameters:
    """The detector's knobs; the defaults suit telephone speech (8 kHz, -30..-15 dBFS)."""

    frame_ms: int = 20
    floor_block_ms: int = 500
    floor_window_s: float = 60.0
    start_db: float = 10.0
    stop_db: float = 6.0
    min_floor_dbfs: float = -70.0
    min_speech_dbfs: float = -50.0
    max_pause_ms: int = 500
    min_speech_ms: int = 200
    bleed_db: float = 20.0


@dataclass(frozen=True)
class TalkAnalysis:
    """Speech per speaker and what follows from it; times in milliseconds, measures in s."""

    duration_ms: int
    speakers: dict[str, list[Interval]]
    silence: list[Interval]
    crosstalk: list[Interval] | None
    measures: dict[str, int | None] = field(default_factory=dict)

    def intervals_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {role: [list(i) for i in ivs] for role, ivs in self.speakers.items()}
        out["silence"] = [list(i) for i in self.silence]
        if self.crosstalk is not None:
            out["crosstalk"] = [list(i) for i in self.crosstalk]
        return out


# --- speech detection -------------------------------------------------------------------------


def energy_dbfs(mean_square: NDArray[np.floating]) -> NDArray[np.float64]:
    """Frame energies in dB relative to a full-scale square wave (a full-scale sine is -3)."""
    floor = 10.0 ** (_SILENT_DB / 10.0)
    dbfs: NDArray[np.float64] = 10.0 * np.log10(
        np.maximum(np.asarray(mean_square, dtype=np.float64), floor)
    )
    return dbfs


def noise_floor(
    db: NDArray[np.float64], frame_seconds: float, params: SpeechParameters
) -> NDArray[np.float64]:
    """Per-frame background level: the quietest block median nearby (see the module doc)."""
    n = len(db)
    if n == 0:
        return np.empty(0)
    block = max(1, round(params.floor_block_ms / 1000.0 / frame_seconds))
    blocks = math.ceil(n / block)
    padded = np.full(blocks * block, np.nan)
    padded[:n] = db
    medians = np.nanmedian(padded.reshape(blocks, block), axis=1)
    medians[medians < params.min_floor_dbfs] = np.inf
    reach = max(1, round(params.floor_window_s / (block * frame_seconds)))
    inf = np.full(reach, np.inf)
    window = reach + 1
    past = sliding_window_view(np.concatenate((inf, medians)), window).min(axis=1)
    future = sliding_window_view(np.concatenate((medians, inf)), window).min(axis=1)
    if blocks > reach:
        # Near the ends a window would be cut short (and could hold nothing but a turn that
        # starts or ends the file): it takes the first or last full window instead.
        past[:reach] = past[reach]
        future[blocks - reach :] = future[blocks - 1 - reach]
        local = np.maximum(past, future)
    else:
        local = np.full(blocks, medians.min())
    local[np.isinf(local)] = params.min_floor_dbfs
    floors: NDArray[np.float64] = np.maximum(np.repeat(local, block)[:n], params.min_floor_dbfs)
    return floors


def _runs(mask: NDArray[np.bool_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Start and end (exclusive) frame indices of the runs of True."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def detect_speech_frames(
    mean_square: NDArray[np.floating],
    frame_seconds: float,
    params: SpeechParameters,
    bleed: NDArray[np.bool_] | None = None,
) -> list[tuple[int, int]]:
    """Speech runs of one channel as [start_frame, end_frame) pairs.

    `bleed` marks frames that are another channel's echo (see `bleed_frames`): never speech.
    """
    if frame_seconds <= 0:
        raise ValueError("frame_seconds must be positive")
    db = energy_dbfs(mean_square)
    if len(db) == 0:
        return []
    floor = noise_floor(db, frame_seconds, params)
    start_level = np.maximum(floor + params.start_db, params.min_speech_dbfs)
    stop_level = np.minimum(floor + params.stop_db, start_level)
    own = np.ones(len(db), dtype=bool) if bleed is None else ~bleed
    starts, ends = _runs((db > stop_level) & own)
    if len(starts) == 0:
        return []
    loud = np.concatenate(([0], np.cumsum((db > start_level) & own)))
    keep = loud[ends] - loud[starts] > 0
    starts, ends = starts[keep], ends[keep]
    if len(starts) == 0:
        return []
    max_pause = params.max_pause_ms / 1000.0 / frame_seconds
    breaks = (starts[1:] - ends[:-1]) >= max_pause
    starts = starts[np.concatenate(([True], breaks))]
    ends = ends[np.concatenate((breaks, [True]))]
    long_enough = (ends - starts) * frame_seconds * 1000.0 >= params.min_speech_ms
    return [(int(s), int(e)) for s, e in zip(starts[long_enough], ends[long_enough], strict=True)]


def bleed_frames(mean_square: NDArray[np.floating], params: SpeechParameters) -> NDArray[np.bool_]:
    """(channels, frames): where a channel is `bleed_db` below the loudest other channel."""
    db = energy_dbfs(np.atleast_2d(mean_square))
    if db.shape[0] < 2:
        return np.zeros(db.shape, dtype=bool)
    order = np.sort(db, axis=0)
    loudest, second = order[-1], order[-2]
    # The loudest other channel: the second loudest for the loudest channel itself.
    others = np.where(db == loudest, second, loudest)
    bled: NDArray[np.bool_] = db < others - params.bleed_db
    return bled


def detect_speech(
    mean_square: NDArray[np.floating],
    frame_seconds: float,
    duration_ms: int,
    params: SpeechParameters | None = None,
    bleed: NDArray[np.bool_] | None = None,
) -> list[Interval]:
    """Speech intervals of one channel in milliseconds, clipped to the recording."""
    params = params or SpeechParameters()
    out: list[Interval] = []
    for start, end in detect_speech_frames(mean_square, frame_seconds, params, bleed):
        s = min(round(start * frame_seconds * 1000), duration_ms)
        e = min(round(end * frame_seconds * 1000), duration_ms)
        if e > s:
            out.append((s, e))
    return out


# --- interval algebra -------------------------------------------------------------------------


def normalise(intervals: Sequence[Interval]) -> list[Interval]:
    """Sorted, merged, without empty intervals."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def union(*sets: Sequence[Interval]) -> list[Interval]:
    return normalise([i for s in sets for i in s])


def intersection(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if end > start:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def complement(intervals: Sequence[Interval], duration_ms: int) -> list[Interval]:
    """The parts of [0, duration_ms) not covered; `intervals` must be normalised."""
    out: list[Interval] = []
    cursor = 0
    for start, end in intervals:
        if start > cursor:
            out.append((cursor, min(start, duration_ms)))
        cursor = max(cursor, end)
    if cursor < duration_ms:
        out.append((cursor, duration_ms))
    return [i for i in out if i[1] > i[0]]


def total_ms(intervals: Sequence[Interval]) -> int:
    return sum(end - start for start, end in intervals)


def longest_ms(intervals: Sequence[Interval]) -> int:
    return max((end - start for start, end in intervals), default=0)


def seconds(ms: int) -> int:
    """Whole seconds, milliseconds truncated, as Insights reports times."""
    return ms // 1000


# --- talk analytics ---------------------------------------------------------------------------


def channel_roles(channels: Sequence[str] | None, count: int) -> tuple[str, ...]:
    """The role of each audio channel: `customer`, `agent`, or `mixed` for a mono file.

    The channel named "customer" is the customer and every other channel ("others", "agent")
    is the agent side; with no channel so named, the first one is the customer, as Flex's
    convention (left = caller) has it.
    """
    if count <= 1:
        return (MIXED,)
    names = [str(c).strip().lower() for c in (channels or DEFAULT_CHANNELS)]
    names += ["others"] * (count - len(names))
    names = names[:count]
    if CUSTOMER not in names:
        names[0] = CUSTOMER
    return tuple(CUSTOMER if name == CUSTOMER else AGENT for name in names)


def _silence_before(silence: Sequence[Interval], starts: set[int]) -> int:
    return max((end - start for start, end in silence if end in starts), default=0)


def analyse_talk(
    speech_by_channel: Sequence[Sequence[Interval]],
    roles: Sequence[str],
    duration_ms: int,
) -> TalkAnalysis:
    """Per-speaker talk, silence, cross-talk and the Insights measures from channel speech."""
    if len(speech_by_channel) != len(roles):
        raise ValueError("one role per channel")
    anyone = union(*speech_by_channel)
    silence = complement(anyone, duration_ms)
    if tuple(roles) == (MIXED,):
        return TalkAnalysis(
            duration_ms=duration_ms,
            speakers={MIXED: anyone},
            silence=silence,
            crosstalk=None,
            measures={
                **dict.fromkeys(MEASURES),
                "silence_time": seconds(total_ms(silence)),
            },
        )
    agent = union(*(s for s, r in zip(speech_by_channel, roles, strict=True) if r == AGENT))
    customer = union(*(s for s, r in zip(speech_by_channel, roles, strict=True) if r == CUSTOMER))
    crosstalk = intersection(agent, customer)
    measures: dict[str, int | None] = {
        "agent_talk_time": seconds(total_ms(agent)),
        "customer_talk_time": seconds(total_ms(customer)),
        "crosstalk_time": seconds(total_ms(crosstalk)),
        "silence_time": seconds(total_ms(silence)),
        "longest_silence_before_agent": seconds(
            _silence_before(silence, {start for start, _ in agent})
        ),
        "longest_silence_before_customer": seconds(
            _silence_before(silence, {start for start, _ in customer})
        ),
        "longest_talk_by_agent": seconds(longest_ms(agent)),
        "longest_talk_by_customer": seconds(longest_ms(customer)),
    }
    return TalkAnalysis(
        duration_ms=duration_ms,
        speakers={CUSTOMER: customer, AGENT: agent},
        silence=silence,
        crosstalk=crosstalk,
        measures=measures,
    )


# --- waveform peaks ---------------------------------------------------------------------------


def peaks(
    frame_min: NDArray[np.floating],
    frame_max: NDArray[np.floating],
    *,
    frame_samples: int,
    sample_rate: int,
    max_buckets: int = MAX_PEAK_BUCKETS,
) -> dict[str, Any]:
    """Min/max per bucket and channel in BBC audiowaveform's JSON format (version 2, 8 bits).

    `frame_min`/`frame_max` are (channels, frames) arrays of sample extremes in [-1, 1]. A
    bucket is a whole number of frames, as few as keep the count under `max_buckets`; `data`
    interleaves per bucket [ch0 min, ch0 max, ch1 min, ch1 max, ...] scaled to -128..127, so
    waveform players (peaks.js) read it as is.
    """
    lows = np.atleast_2d(np.asarray(frame_min, dtype=np.float64))
    highs = np.atleast_2d(np.asarray(frame_max, dtype=np.float64))
    channels, frames = lows.shape
    per_bucket = max(1, math.ceil(frames / max_buckets))
    buckets = math.ceil(frames / per_bucket)
    data: list[int] = []
    if buckets:
        size = buckets * per_bucket
        low = np.full((channels, size), np.inf)
        high = np.full((channels, size), -np.inf)
        low[:, :frames] = lows
        high[:, :frames] = highs
        low = low.reshape(channels, buckets, per_bucket).min(axis=2)
        high = high.reshape(channels, buckets, per_bucket).max(axis=2)
        scaled = np.empty((buckets, channels, 2), dtype=np.int64)
        scaled[:, :, 0] = np.clip(np.round(low * PEAK_SCALE), -128, 127).T
        scaled[:, :, 1] = np.clip(np.round(high * PEAK_SCALE), -128, 127).T
        data = scaled.reshape(-1).tolist()
    return {
        "version": 2,
        "channels": int(channels),
        "sample_rate": int(sample_rate),
        "samples_per_pixel": int(per_bucket * frame_samples),
        "bits": 8,
        "length": int(buckets),
        "data": data,
    }


# --- everything for one recording -------------------------------------------------------------


@dataclass(frozen=True)
class FrameStatistics:
    """What the media layer measured, per channel and frame."""

    sample_rate: int
    frame_samples: int
    total_samples: int
    mean_square: NDArray[np.floating]  # (channels, frames)
    minimum: NDArray[np.floating]
    maximum: NDArray[np.floating]

    @property
    def channels(self) -> int:
        return int(np.atleast_2d(self.mean_square).shape[0])

    @property
    def duration_ms(self) -> int:
        return self.total_samples * 1000 // self.sample_rate if self.sample_rate else 0


def analyse_recording(
    stats: FrameStatistics,
    channels: Sequence[str] | None,
    params: SpeechParameters | None = None,
    *,
    mixed: bool = False,
) -> dict[str, Any]:
    """The stored analysis of one recording: duration, channel map, intervals, measures, peaks.

    `mixed` treats a multi-channel file as mono (e.g. both channels carry the same signal).
    """
    params = params or SpeechParameters()
    energy = np.atleast_2d(stats.mean_square)
    duration = stats.duration_ms
    frame_seconds = stats.frame_samples / stats.sample_rate
    if mixed or stats.channels == 1:
        roles: tuple[str, ...] = (MIXED,)
        speech = [detect_speech(energy.mean(axis=0), frame_seconds, duration, params)]
    else:
        roles = channel_roles(channels, stats.channels)
        bleed = bleed_frames(energy, params)
        speech = [
            detect_speech(row, frame_seconds, duration, params, bleed=mask)
            for row, mask in zip(energy, bleed, strict=True)
        ]
    talk = analyse_talk(speech, roles, duration)
    return {
        "duration_ms": duration,
        "sample_rate": stats.sample_rate,
        "channel_map": list(roles) if not mixed else [MIXED] * stats.channels,
        "intervals": talk.intervals_json(),
        "measures": talk.measures,
        "peaks": peaks(
            stats.minimum,
            stats.maximum,
            frame_samples=stats.frame_samples,
            sample_rate=stats.sample_rate,
        ),
    }


def window_measures(
    intervals: dict[str, Any], start_ms: int, end_ms: int
) -> dict[str, int | None] | None:
    """The talk measures of one stretch of a recording (a segment's part of it), from the
    whole recording's intervals: each speaker's speech clipped to the stretch. None when the
    stretch lies outside the recording or the recording is mono (no per-speaker split)."""
    if end_ms <= start_ms or AGENT not in intervals or CUSTOMER not in intervals:
        return None
    window = [(start_ms, end_ms)]

    def clipped(role: str) -> list[Interval]:
        inside = intersection(normalise([tuple(i) for i in intervals.get(role, [])]), window)
        return [(a - start_ms, b - start_ms) for a, b in inside]

    agent, customer = clipped(AGENT), clipped(CUSTOMER)
    return analyse_talk([customer, agent], (CUSTOMER, AGENT), end_ms - start_ms).measures
