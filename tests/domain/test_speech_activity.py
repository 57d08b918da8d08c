"""Speech detection, talk analytics and peaks: properties over arbitrary inputs, and cases."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hindsight.domain import speech_activity as sa

DURATION = st.integers(min_value=1, max_value=600_000)


@st.composite
def intervals_within(draw: st.DrawFn, duration: int) -> list[sa.Interval]:
    cuts = sorted(draw(st.sets(st.integers(0, duration), max_size=20)))
    pairs = list(zip(cuts[::2], cuts[1::2], strict=False))
    return [(a, b) for a, b in pairs if b > a]


@st.composite
def two_speakers(draw: st.DrawFn) -> tuple[int, list[sa.Interval], list[sa.Interval]]:
    duration = draw(DURATION)
    return duration, draw(intervals_within(duration)), draw(intervals_within(duration))


def sorted_and_disjoint(intervals: list[sa.Interval]) -> bool:
    return all(a < b for a, b in intervals) and all(
        intervals[i][1] <= intervals[i + 1][0] for i in range(len(intervals) - 1)
    )


def covered(intervals: list[sa.Interval], duration: int) -> np.ndarray:
    grid = np.zeros(duration, dtype=bool)
    for a, b in intervals:
        grid[a:b] = True
    return grid


@settings(max_examples=200)
@given(two_speakers())
def test_talk_silence_and_crosstalk_partition_the_recording(case):
    duration, customer, agent = case
    talk = sa.analyse_talk([customer, agent], (sa.CUSTOMER, sa.AGENT), duration)
    for intervals in (*talk.speakers.values(), talk.silence, talk.crosstalk):
        assert sorted_and_disjoint(intervals)
        assert all(a >= 0 and b <= duration for a, b in intervals)
    a, c = talk.speakers[sa.AGENT], talk.speakers[sa.CUSTOMER]
    # Exact in milliseconds: agent + customer - both + neither = everything.
    assert (
        sa.total_ms(a) + sa.total_ms(c) - sa.total_ms(talk.crosstalk) + sa.total_ms(talk.silence)
        == duration
    )
    # Against a brute-force millisecond grid.
    grid_a, grid_c = covered(agent, duration), covered(customer, duration)
    assert sa.total_ms(talk.crosstalk) == int((grid_a & grid_c).sum())
    assert sa.total_ms(talk.silence) == int((~(grid_a | grid_c)).sum())
    m = talk.measures
    whole = duration // 1000
    assert all(0 <= value <= whole for value in m.values())
    assert (
        abs(
            m["agent_talk_time"]
            + m["customer_talk_time"]
            - m["crosstalk_time"]
            + m["silence_time"]
            - whole
        )
        <= 3
    )
    assert m["crosstalk_time"] <= min(m["agent_talk_time"], m["customer_talk_time"])
    assert m["longest_talk_by_agent"] <= m["agent_talk_time"]
    assert m["longest_talk_by_customer"] <= m["customer_talk_time"]
    assert (
        max(m["longest_silence_before_agent"], m["longest_silence_before_customer"])
        <= (m["silence_time"])
    )


def test_measures_follow_their_definitions():
    customer = [(1_000, 6_500), (20_250, 24_000)]
    agent = [(7_750, 18_000), (23_000, 30_400)]
    talk = sa.analyse_talk([customer, agent], (sa.CUSTOMER, sa.AGENT), 40_000)
    assert talk.crosstalk == [(23_000, 24_000)]
    assert talk.silence == [(0, 1_000), (6_500, 7_750), (18_000, 20_250), (30_400, 40_000)]
    assert talk.measures == {
        "agent_talk_time": 17,  # 10.25 + 7.4
        "customer_talk_time": 9,  # 5.5 + 3.75
        "crosstalk_time": 1,
        "silence_time": 14,  # 1 + 1.25 + 2.25 + 9.6
        "longest_silence_before_agent": 1,  # 6.5 -> 7.75; the agent's second turn interrupts
        "longest_silence_before_customer": 2,  # 18 -> 20.25 (beats the 1 s at the start)
        "longest_talk_by_agent": 10,
        "longest_talk_by_customer": 5,
    }


def test_mono_has_no_speakers_and_no_crosstalk():
    talk = sa.analyse_talk([[(500, 2_600)]], (sa.MIXED,), 5_000)
    assert talk.speakers == {sa.MIXED: [(500, 2_600)]}
    assert talk.crosstalk is None
    assert talk.measures["silence_time"] == 2  # 0.5 + 2.4
    assert talk.measures["agent_talk_time"] is None
    assert talk.measures["crosstalk_time"] is None
    assert set(talk.measures) == set(sa.MEASURES)


def test_channel_roles_follow_the_media_item():
    assert sa.channel_roles(None, 2) == (sa.CUSTOMER, sa.AGENT)
    assert sa.channel_roles(["customer", "others"], 2) == (sa.CUSTOMER, sa.AGENT)
    assert sa.channel_roles(["others", "customer"], 2) == (sa.AGENT, sa.CUSTOMER)
    assert sa.channel_roles(["Customer", "Agent", "supervisor"], 3) == (
        sa.CUSTOMER,
        sa.AGENT,
        sa.AGENT,
    )
    assert sa.channel_roles(["caller", "callee"], 2) == (sa.CUSTOMER, sa.AGENT)
    assert sa.channel_roles(["customer"], 2) == (sa.CUSTOMER, sa.AGENT)
    assert sa.channel_roles(["customer", "others"], 1) == (sa.MIXED,)


# --- detection --------------------------------------------------------------------------------

FRAME = 0.02


def energies(levels_db: list[tuple[float, float]], rng: np.random.Generator) -> np.ndarray:
    """Mean squares for (seconds, dBFS) stretches, with 1 dB of frame-to-frame jitter."""
    out = []
    for seconds, level in levels_db:
        n = round(seconds / FRAME)
        out.append(10 ** ((level + rng.normal(0, 1, n)) / 10))
    return np.concatenate(out)


def test_speech_over_steady_noise_is_found_to_the_frame():
    rng = np.random.default_rng(1)
    ms = energies([(2, -55), (3, -25), (4, -55), (1.5, -30), (2, -55)], rng)
    assert sa.detect_speech(ms, FRAME, 12_500) == [(2_000, 5_000), (9_000, 10_500)]


def test_a_pause_shorter_than_the_hangover_does_not_split_a_turn():
    rng = np.random.default_rng(2)
    ms = energies([(1, -60), (2, -22), (0.3, -60), (2, -22), (0.8, -60), (1, -22), (1, -60)], rng)
    assert sa.detect_speech(ms, FRAME, 8_100) == [(1_000, 5_300), (6_100, 7_100)]


def test_short_bursts_are_noise_and_quiet_bumps_are_not_speech():
    rng = np.random.default_rng(3)
    ms = energies([(2, -55), (0.1, -20), (2, -55), (1, -51), (2, -55)], rng)
    assert sa.detect_speech(ms, FRAME, 7_100) == []


def test_the_noise_floor_follows_a_louder_background():
    rng = np.random.default_rng(4)
    # Background rises from -60 to -40 dBFS halfway; speech at -20 in each half.
    ms = energies([(40, -60), (2, -20), (40, -60), (40, -40), (2, -20), (40, -40)], rng)
    assert sa.detect_speech(ms, FRAME, 164_000) == [(40_000, 42_000), (122_000, 124_000)]


def test_turns_at_the_very_ends_and_a_long_turn_are_measured_against_the_background():
    rng = np.random.default_rng(6)
    # A turn from the first frame, a 50 s monologue, and a turn that runs to the end.
    syllables = [(0.2, -20), (0.1, -27)] * 166 + [(0.2, -20)]  # 50 s, never quieter than -27
    ms = energies([(8, -22), (5, -58), *syllables, (6, -58), (7, -24)], rng)
    assert sa.detect_speech(ms, FRAME, 76_000) == [(0, 8_000), (13_000, 63_000), (69_000, 76_000)]


def test_digital_silence_does_not_turn_faint_hiss_into_speech():
    ms = np.concatenate([np.zeros(500), np.full(200, 10 ** (-62 / 10)), np.zeros(500)])
    assert sa.detect_speech(ms, FRAME, 24_000) == []


def test_a_muted_stretch_does_not_make_the_background_count_as_speech():
    rng = np.random.default_rng(7)
    muted = np.zeros(round(10 / FRAME))  # digital zeros while the line was on hold
    ms = np.concatenate(
        [energies([(5, -55), (3, -22), (5, -55)], rng), muted, energies([(6, -55)], rng)]
    )
    assert sa.detect_speech(ms, FRAME, 29_000) == [(5_000, 8_000)]


def test_echo_of_the_other_channel_is_not_speech():
    rng = np.random.default_rng(5)
    agent = energies([(2, -55), (5, -20), (3, -55)], rng)
    echo = energies([(2, -55), (5, -48), (3, -55)], rng)
    bleed = sa.bleed_frames(np.stack([echo, agent]), sa.SpeechParameters())
    assert sa.detect_speech(echo, FRAME, 10_000) != []  # alone it would pass for speech
    assert sa.detect_speech(echo, FRAME, 10_000, bleed=bleed[0]) == []
    assert sa.detect_speech(agent, FRAME, 10_000, bleed=bleed[1]) == [(2_000, 7_000)]


@settings(max_examples=150)
@given(
    st.lists(st.floats(min_value=-130, max_value=0), min_size=0, max_size=3000),
    st.sampled_from([0.01, 0.02, 0.0232]),
)
def test_detected_intervals_are_sorted_disjoint_long_enough_and_inside(levels, frame):
    params = sa.SpeechParameters()
    ms = 10 ** (np.array(levels, dtype=float) / 10)
    duration = round(len(levels) * frame * 1000)
    found = sa.detect_speech(ms, frame, duration, params)
    assert sorted_and_disjoint(found)
    assert all(0 <= a < b <= duration for a, b in found)
    tolerance = frame * 1000  # one frame of rounding
    assert all(b - a >= params.min_speech_ms - tolerance for a, b in found)
    assert all(
        found[i + 1][0] - found[i][1] >= params.max_pause_ms - tolerance
        for i in range(len(found) - 1)
    )


# --- peaks ------------------------------------------------------------------------------------


@settings(max_examples=100)
@given(
    st.integers(min_value=1, max_value=2),
    st.integers(min_value=0, max_value=20_000),
    st.integers(min_value=1, max_value=1000),
)
def test_peaks_stay_in_range_and_under_the_bucket_cap(channels, frames, max_buckets):
    rng = np.random.default_rng(frames)
    low = -rng.uniform(0, 1.2, (channels, frames))
    high = rng.uniform(0, 1.2, (channels, frames))
    out = sa.peaks(low, high, frame_samples=160, sample_rate=8000, max_buckets=max_buckets)
    assert out["length"] <= max_buckets
    assert len(out["data"]) == out["length"] * channels * 2
    assert all(-128 <= v <= 127 for v in out["data"])
    pairs = np.array(out["data"]).reshape(-1, 2)
    assert (pairs[:, 0] <= pairs[:, 1]).all()
    per_bucket = out["samples_per_pixel"] // 160
    assert out["length"] == -(-frames // per_bucket)


def test_peaks_of_an_hour_of_stereo_fit_in_200_kb_and_keep_the_extremes():
    frames = 3600 * 50
    low = np.full((2, frames), -1.0)
    high = np.full((2, frames), 1.0)
    out = sa.peaks(low, high, frame_samples=882, sample_rate=44100)
    assert len(json.dumps(out, separators=(",", ":"))) < 200_000
    assert out["length"] <= sa.MAX_PEAK_BUCKETS
    assert set(out["data"]) == {-127, 127}
    small = sa.peaks(
        np.array([[-0.5, -0.25]]), np.array([[0.5, 0.75]]), frame_samples=160, sample_rate=8000
    )
    assert small["data"] == [-64, 64, -32, 95]
    assert small["samples_per_pixel"] == 160
