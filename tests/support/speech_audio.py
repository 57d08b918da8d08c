"""Synthetic recordings with known speech: who speaks when is decided here, then measured back.

"Speech" is voiced-like: a harmonic series on a wandering pitch, with a syllable-rate loudness
envelope and 10 ms fades at the edges, plus a little band noise for the consonants. Every
channel carries steady background noise, and each channel hears a faint copy of the other
(line echo), as real dual-channel calls do.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import soundfile

Span = tuple[float, float]  # seconds


@dataclass(frozen=True)
class Voice:
    pitch_hz: float
    level_dbfs: float = -20.0


CUSTOMER_VOICE = Voice(pitch_hz=210.0, level_dbfs=-22.0)
AGENT_VOICE = Voice(pitch_hz=120.0, level_dbfs=-18.0)


def _speech(n: int, rate: int, voice: Voice, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / rate
    pitch = voice.pitch_hz * (1 + 0.08 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 6)))
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    harmonics = sum(np.sin(k * phase) / k for k in range(1, 8) if k * voice.pitch_hz < rate / 2)
    noise = np.convolve(rng.normal(0, 0.3, n), np.ones(4) / 4, mode="same")
    syllables = 0.6 + 0.4 * np.sin(2 * np.pi * 4.3 * t + rng.uniform(0, 6))
    signal = (harmonics + noise) * syllables
    rms = np.sqrt(np.mean(signal**2)) or 1.0
    return signal / rms * 10 ** (voice.level_dbfs / 20)


def _gate(n: int, rate: int, spans: Sequence[Span]) -> np.ndarray:
    gate = np.zeros(n)
    for start, end in spans:
        a, b = round(start * rate), min(n, round(end * rate))
        gate[a:b] = 1.0
        fade = min(round(0.01 * rate), (b - a) // 2)
        if fade:
            ramp = np.linspace(0.0, 1.0, fade)
            gate[a : a + fade] = ramp
            gate[b - fade : b] = ramp[::-1]
    return gate


def conversation(
    duration_s: float,
    customer: Sequence[Span],
    agent: Sequence[Span],
    *,
    rate: int = 8000,
    noise_dbfs: float = -55.0,
    echo_db: float = -30.0,
    seed: int = 7,
) -> np.ndarray:
    """(samples, 2) float array: channel 0 the customer, channel 1 the agent."""
    rng = np.random.default_rng(seed)
    n = round(duration_s * rate)
    c = _speech(n, rate, CUSTOMER_VOICE, rng) * _gate(n, rate, customer)
    a = _speech(n, rate, AGENT_VOICE, rng) * _gate(n, rate, agent)
    echo = 10 ** (echo_db / 20)
    noise = 10 ** (noise_dbfs / 20)
    left = c + echo * a + rng.normal(0, noise, n)
    right = a + echo * c + rng.normal(0, noise, n)
    return np.clip(np.stack([left, right], axis=1), -1.0, 1.0)


def encode(samples: np.ndarray, rate: int, fmt: str = "WAV", subtype: str = "PCM_16") -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


def wav(samples: np.ndarray, rate: int = 8000, subtype: str = "PCM_16") -> bytes:
    return encode(samples, rate, "WAV", subtype)


class NonSeekable(io.RawIOBase):
    """A stream that can only be read forwards, like a socket."""

    def __init__(self, data: bytes, chunk: int = 1000) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._chunk = chunk

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        size = self._chunk if size < 0 else min(size, self._chunk)
        out = bytes(self._data[self._pos : self._pos + size])
        self._pos += len(out)
        return out

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
