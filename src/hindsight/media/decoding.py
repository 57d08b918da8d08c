"""Decoding recordings into per-frame statistics, a block at a time.

WAV (RIFF or RF64) with PCM 8/16/24/32-bit, IEEE float 32/64, G.711 µ-law and A-law (Twilio's
recordings are 16-bit PCM at 8 kHz) is read here, sequentially, so it works on any stream and
never needs the file to seek. Every other container and codec (MP3, Ogg Vorbis/Opus, FLAC, other
WAV codecs) goes through `soundfile`, whose wheels bundle libsndfile with those decoders; it
needs a seekable file, so a non-seekable stream is first spooled to a temporary file.

Either way only one block of samples (a few seconds) is in memory at a time; what is kept is
per frame: the mean square, the minimum and the maximum of each channel (three floats per
20 ms frame and channel, about 4 MB for an hour of stereo).
"""

from __future__ import annotations

import shutil
import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray

from hindsight.domain.speech_activity import FrameStatistics

MAX_CHANNELS = 8
MAX_SAMPLE_RATE = 384_000
# How much audio one read takes (in frames of `frame_ms`): 4 seconds at 20 ms.
_FRAMES_PER_BLOCK = 200
# Chunks other than `fmt ` and `data` (LIST, bext, cue, ...) are skipped, up to this much.
_MAX_SKIPPED_BYTES = 16 * 1024 * 1024
_COPY_BYTES = 1024 * 1024

_PCM, _FLOAT, _ALAW, _MULAW, _EXTENSIBLE = 1, 3, 6, 7, 0xFFFE


class AudioDecodeError(Exception):
    """The bytes are not audio we can decode (corrupt, truncated header, unknown codec).

    Permanent: trying the same bytes again gives the same answer.
    """

    permanent = True


@dataclass(frozen=True)
class DecodedStatistics:
    stats: FrameStatistics
    codec: str
    # Every sample of the first two channels was equal: a mono signal stored as stereo.
    identical_channels: bool


# --- G.711 ------------------------------------------------------------------------------------


def _mulaw_table() -> NDArray[np.float32]:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    values = np.where(codes & 0x80, -magnitude, magnitude)
    return (values / 32768.0).astype(np.float32)


def _alaw_table() -> NDArray[np.float32]:
    codes = np.arange(256, dtype=np.int32) ^ 0x55
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = np.where(
        exponent == 0,
        (mantissa << 4) + 8,
        ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0),
    )
    values = np.where(codes & 0x80, magnitude, -magnitude)
    return (values / 32768.0).astype(np.float32)


_MULAW_TABLE = _mulaw_table()
_ALAW_TABLE = _alaw_table()


# --- WAV, read sequentially -------------------------------------------------------------------


class _Unsupported(Exception):
    """A WAV this reader does not decode itself; libsndfile may."""


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    parts = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


def _skip(stream: BinaryIO, size: int) -> None:
    while size > 0:
        chunk = stream.read(min(size, _COPY_BYTES))
        if not chunk:
            raise AudioDecodeError("the WAV file ends before its data chunk")
        size -= len(chunk)


Decoder = Callable[[bytes, int], NDArray[np.float32]]


def _pcm_decoder(tag: int, bits: int, channels: int) -> tuple[Decoder, str]:
    def shaped(values: NDArray[np.float32]) -> NDArray[np.float32]:
        return values.reshape(-1, channels)

    if tag == _PCM and bits == 8:
        return (
            lambda raw, _n: shaped((np.frombuffer(raw, np.uint8).astype(np.float32) - 128) / 128),
            "pcm_u8",
        )
    if tag == _PCM and bits == 16:
        return (
            lambda raw, _n: shaped(np.frombuffer(raw, "<i2").astype(np.float32) / 32768),
            "pcm_s16le",
        )
    if tag == _PCM and bits == 24:

        def pcm24(raw: bytes, _n: int) -> NDArray[np.float32]:
            b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
            value = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8
            return shaped(value.astype(np.float32) / 8388608)

        return pcm24, "pcm_s24le"
    if tag == _PCM and bits == 32:
        return (
            lambda raw, _n: shaped(np.frombuffer(raw, "<i4").astype(np.float32) / 2147483648),
            "pcm_s32le",
        )
    if tag == _FLOAT and bits in (32, 64):
        dtype = "<f4" if bits == 32 else "<f8"
        return (
            lambda raw, _n: shaped(
                np.nan_to_num(np.frombuffer(raw, dtype), nan=0.0, posinf=1.0, neginf=-1.0)
                .clip(-1.0, 1.0)
                .astype(np.float32)
            ),
            f"pcm_f{bits}le",
        )
    if tag in (_MULAW, _ALAW) and bits == 8:
        table = _MULAW_TABLE if tag == _MULAW else _ALAW_TABLE
        return (
            lambda raw, _n: shaped(table[np.frombuffer(raw, np.uint8)]),
            "pcm_mulaw" if tag == _MULAW else "pcm_alaw",
        )
    raise _Unsupported(f"WAV format {tag:#06x} with {bits} bits")


class _WavReader:
    """RIFF/RF64 WAV from a stream; `blocks` yields float32 (frames, channels) arrays."""

    def __init__(self, stream: BinaryIO, header: bytes) -> None:
        self._stream = stream
        riff64 = header[:4] == b"RF64"
        data_size: int | None = None
        fmt: bytes | None = None
        skipped = 0
        while True:
            chunk = _read_exact(stream, 8)
            if len(chunk) < 8:
                raise AudioDecodeError("the WAV file has no data chunk")
            chunk_id, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if chunk_id == b"data":
                if riff64 and size == 0xFFFFFFFF:
                    size = data_size if data_size is not None else 0xFFFFFFFF
                break
            body_size = size + (size & 1)
            if chunk_id == b"fmt ":
                if not 16 <= size <= 1024:
                    raise AudioDecodeError("the WAV fmt chunk has an impossible size")
                fmt = _read_exact(stream, body_size)[:size]
                continue
            if chunk_id == b"ds64" and riff64 and size >= 16:
                body = _read_exact(stream, body_size)
                data_size = struct.unpack("<Q", body[8:16])[0]
                continue
            skipped += body_size
            if skipped > _MAX_SKIPPED_BYTES:
                raise AudioDecodeError("the WAV file has too much before its data chunk")
            _skip(stream, body_size)
        if fmt is None or len(fmt) < 16:
            raise AudioDecodeError("the WAV file has no fmt chunk before its data")
        tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
        if tag == _EXTENSIBLE:
            if len(fmt) < 40:
                raise AudioDecodeError("the WAV extensible fmt chunk is truncated")
            tag = struct.unpack("<H", fmt[24:26])[0]
        _check_shape(channels, rate)
        if bits == 0 or block_align != channels * ((bits + 7) // 8):
            raise _Unsupported(f"WAV block alignment {block_align} for {bits}-bit audio")
        self.decode, self.codec = _pcm_decoder(tag, bits, channels)
        self.channels = channels
        self.sample_rate = rate
        self.block_align = block_align
        # 0 and 0xFFFFFFFF are what recorders write while still recording: read to the end.
        self._remaining: int | None = None if size in (0, 0xFFFFFFFF) else size

    def blocks(self, frames: int) -> Iterator[NDArray[np.float32]]:
        want = frames * self.block_align
        carry = b""
        while self._remaining is None or self._remaining > 0:
            size = want if self._remaining is None else min(want, self._remaining)
            raw = carry + _read_exact(self._stream, size - len(carry))
            if self._remaining is not None:
                self._remaining -= len(raw) - len(carry)
            whole = len(raw) - len(raw) % self.block_align
            if whole:
                yield self.decode(raw[:whole], whole // self.block_align)
            carry = raw[whole:]
            if len(raw) < size:
                return  # the file ends early (a truncated last frame is dropped)


def _check_shape(channels: int, rate: int) -> None:
    if not 1 <= channels <= MAX_CHANNELS:
        raise AudioDecodeError(f"{channels} channels (at most {MAX_CHANNELS} are read)")
    if not 1 <= rate <= MAX_SAMPLE_RATE:
        raise AudioDecodeError(f"impossible sample rate {rate}")


# --- libsndfile, for everything else ----------------------------------------------------------


def _soundfile_statistics(
    source: BinaryIO, frame_ms: int, max_seconds: float | None
) -> DecodedStatistics:
    try:
        import soundfile
    except (ImportError, OSError) as exc:  # pragma: no cover - the wheel bundles libsndfile
        raise AudioDecodeError(
            f"only WAV can be decoded here: soundfile is missing ({exc})"
        ) from exc
    try:
        handle = soundfile.SoundFile(source)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise AudioDecodeError(f"not a recognised audio file ({exc})") from exc
    with handle:
        _check_shape(handle.channels, handle.samplerate)
        frames = frame_samples_for(handle.samplerate, frame_ms) * _FRAMES_PER_BLOCK

        def blocks() -> Iterator[NDArray[np.float32]]:
            while True:
                try:
                    block = handle.read(frames, dtype="float32", always_2d=True)
                except (RuntimeError, ValueError) as exc:
                    raise AudioDecodeError(f"the audio is corrupt ({exc})") from exc
                if len(block) == 0:
                    return
                yield block

        codec = f"{handle.format}/{handle.subtype}".lower()
        return _measure(handle.samplerate, handle.channels, codec, blocks(), frame_ms, max_seconds)


def _rewound(stream: BinaryIO, consumed: bytes) -> BinaryIO:
    """The whole stream from its first byte, seekable: libsndfile seeks while it probes.

    `consumed` is what was already read from a stream that cannot seek back.
    """
    try:
        seekable = stream.seekable()
    except (AttributeError, OSError):
        seekable = False
    if seekable:
        stream.seek(0)
        return stream
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the caller's stream owns the lifetime
    spool.write(consumed)
    shutil.copyfileobj(stream, spool, _COPY_BYTES)
    spool.seek(0)
    return spool  # type: ignore[return-value]


# --- frame statistics -------------------------------------------------------------------------


class _Accumulator:
    def __init__(self, channels: int, frame_samples: int) -> None:
        self.channels = channels
        self.frame_samples = frame_samples
        self.total = 0
        self.rest = np.empty((0, channels), dtype=np.float32)
        self.energy: list[NDArray[np.float32]] = []
        self.low: list[NDArray[np.float32]] = []
        self.high: list[NDArray[np.float32]] = []
        self.identical = channels >= 2
        self.audible = False

    def add(self, block: NDArray[np.float32]) -> None:
        self.total += len(block)
        if self.identical and not np.array_equal(block[:, 0], block[:, 1]):
            self.identical = False
        if not self.audible and np.any(block):
            self.audible = True
        if len(self.rest):
            block = np.concatenate((self.rest, block))
        whole = len(block) - len(block) % self.frame_samples
        if whole:
            self._frames(block[:whole].reshape(-1, self.frame_samples, self.channels))
        self.rest = block[whole:].copy()

    def _frames(self, frames: NDArray[np.float32]) -> None:
        self.energy.append(np.einsum("fsc,fsc->cf", frames, frames) / frames.shape[1])
        self.low.append(frames.min(axis=1).T)
        self.high.append(frames.max(axis=1).T)

    def finish(self) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
        if len(self.rest):
            self._frames(self.rest.reshape(1, -1, self.channels))
        if not self.energy:
            empty = np.empty((self.channels, 0), dtype=np.float32)
            return empty, empty, empty
        return (
            np.concatenate(self.energy, axis=1),
            np.concatenate(self.low, axis=1),
            np.concatenate(self.high, axis=1),
        )


def frame_samples_for(sample_rate: int, frame_ms: int) -> int:
    return max(1, round(sample_rate * frame_ms / 1000))


def frame_statistics(
    stream: BinaryIO, *, frame_ms: int = 20, max_seconds: float | None = None
) -> DecodedStatistics:
    """Decode `stream` block by block into per-frame statistics; raises AudioDecodeError."""
    header = _read_exact(stream, 12)
    if len(header) < 12:
        raise AudioDecodeError("the file is too short to be audio")
    if header[:4] in (b"RIFF", b"RF64") and header[8:12] == b"WAVE":
        recorder = _Recorder(stream)
        try:
            wav = _WavReader(recorder, header)  # type: ignore[arg-type]
        except _Unsupported:
            # An unusual WAV codec (ADPCM, GSM 6.10...): libsndfile reads it from the start.
            source = _rewound(stream, header + recorder.seen)
            return _soundfile_statistics(source, frame_ms, max_seconds)
        recorder.seen = b""
        recorder.recording = False
        blocks = wav.blocks(frame_samples_for(wav.sample_rate, frame_ms) * _FRAMES_PER_BLOCK)
        return _measure(wav.sample_rate, wav.channels, wav.codec, blocks, frame_ms, max_seconds)
    return _soundfile_statistics(_rewound(stream, header), frame_ms, max_seconds)


class _Recorder:
    """Passes reads through, keeping what the WAV header parser read (to hand it back)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.seen = b""
        self.recording = True

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if self.recording:
            self.seen += data
        return data


def _measure(
    rate: int,
    channels: int,
    codec: str,
    blocks: Iterator[NDArray[np.float32]],
    frame_ms: int,
    max_seconds: float | None,
) -> DecodedStatistics:
    frame = frame_samples_for(rate, frame_ms)
    acc = _Accumulator(channels, frame)
    limit = None if max_seconds is None else int(max_seconds * rate)
    for block in blocks:
        acc.add(block)
        if limit is not None and acc.total > limit:
            raise AudioDecodeError(f"the recording is longer than {max_seconds:g} seconds")
    if acc.total == 0:
        raise AudioDecodeError("the file holds no audio samples")
    energy, low, high = acc.finish()
    return DecodedStatistics(
        stats=FrameStatistics(
            sample_rate=rate,
            frame_samples=frame,
            total_samples=acc.total,
            mean_square=energy,
            minimum=low,
            maximum=high,
        ),
        codec=codec,
        # All-zero channels are equal too, but that says nothing about how it was recorded.
        identical_channels=acc.identical and acc.audible,
    )
