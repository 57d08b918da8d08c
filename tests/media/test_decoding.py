"""Decoding: every WAV flavour we read ourselves agrees with libsndfile; other codecs decode."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
import soundfile

from hindsight.domain.speech_activity import analyse_recording
from hindsight.media.decoding import AudioDecodeError, frame_statistics
from tests.support.speech_audio import NonSeekable, conversation, encode, wav

RATE = 8000


def reference_stats(data: bytes, frame: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frame statistics computed from libsndfile's decoding of the same bytes."""
    samples, _ = soundfile.read(io.BytesIO(data), dtype="float64", always_2d=True)
    n = len(samples)
    frames = -(-n // frame)
    energy = np.empty((samples.shape[1], frames))
    low = np.empty_like(energy)
    high = np.empty_like(energy)
    for i in range(frames):
        chunk = samples[i * frame : (i + 1) * frame]
        energy[:, i] = (chunk**2).mean(axis=0)
        low[:, i] = chunk.min(axis=0)
        high[:, i] = chunk.max(axis=0)
    return energy, low, high


def signal(seconds: float = 1.013, channels: int = 2) -> np.ndarray:
    rng = np.random.default_rng(11)
    x = rng.normal(0, 0.2, (round(seconds * RATE), channels))
    return np.clip(x, -0.99, 0.99)


@pytest.mark.parametrize(
    ("fmt", "subtype", "codec"),
    [
        ("WAV", "PCM_U8", "pcm_u8"),
        ("WAV", "PCM_16", "pcm_s16le"),
        ("WAV", "PCM_24", "pcm_s24le"),
        ("WAV", "PCM_32", "pcm_s32le"),
        ("WAV", "FLOAT", "pcm_f32le"),
        ("WAV", "DOUBLE", "pcm_f64le"),
        ("WAV", "ULAW", "pcm_mulaw"),
        ("WAV", "ALAW", "pcm_alaw"),
        ("WAVEX", "PCM_16", "pcm_s16le"),
        ("RF64", "PCM_24", "pcm_s24le"),
    ],
)
def test_wav_flavours_decode_like_libsndfile(fmt, subtype, codec):
    data = encode(signal(), RATE, fmt, subtype)
    decoded = frame_statistics(NonSeekable(data))  # read forwards only, as from a socket
    assert decoded.codec == codec
    stats = decoded.stats
    assert stats.sample_rate == RATE
    assert stats.total_samples == round(1.013 * RATE)
    assert stats.duration_ms == 1013
    energy, low, high = reference_stats(data, stats.frame_samples)
    assert stats.mean_square.shape == energy.shape == (2, 51)  # 50 whole frames and a part
    np.testing.assert_allclose(stats.mean_square, energy, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(stats.minimum, low, atol=1e-6)
    np.testing.assert_allclose(stats.maximum, high, atol=1e-6)


def test_g711_tables_match_the_standard_end_points():
    for subtype, peak in (("ULAW", 32124 / 32768), ("ALAW", 32256 / 32768)):
        data = wav(np.array([[1.0], [-1.0], [0.0]]), RATE, subtype)
        stats = frame_statistics(io.BytesIO(data)).stats
        assert stats.maximum[0, 0] == pytest.approx(peak)
        assert stats.minimum[0, 0] == pytest.approx(-peak)


@pytest.mark.parametrize(
    ("fmt", "subtype", "rate"),
    [
        ("MP3", "MPEG_LAYER_III", 16000),
        ("OGG", "OPUS", 48000),
        ("OGG", "VORBIS", 16000),
        ("FLAC", "PCM_16", 8000),
        ("WAV", "IMA_ADPCM", 8000),
    ],
)
def test_compressed_recordings_decode_and_keep_who_spoke_when(fmt, subtype, rate):
    customer, agent = [(1.0, 4.5)], [(5.5, 9.0)]
    data = encode(conversation(11.0, customer, agent, rate=rate), rate, fmt, subtype)
    decoded = frame_statistics(NonSeekable(data, chunk=4096))
    assert decoded.codec.startswith(fmt.lower())
    stats = decoded.stats
    assert stats.sample_rate == rate
    assert abs(stats.duration_ms - 11_000) < 120  # encoders pad a frame or two
    result = analyse_recording(stats, ["customer", "others"])
    for found, (start, end) in ((result["intervals"]["customer"], customer[0]),):
        assert len(found) == 1
        assert abs(found[0][0] - start * 1000) <= 100 and abs(found[0][1] - end * 1000) <= 100
    [(a_start, a_end)] = result["intervals"]["agent"]
    assert abs(a_start - 5500) <= 100 and abs(a_end - 9000) <= 100


def test_a_mono_signal_stored_as_stereo_is_recognised():
    mono = signal(channels=1)
    decoded = frame_statistics(io.BytesIO(wav(np.hstack([mono, mono]))))
    assert decoded.identical_channels
    assert not frame_statistics(io.BytesIO(wav(signal()))).identical_channels


def riff(chunks: list[tuple[bytes, bytes]], riff_size: int | None = None) -> bytes:
    body = b"WAVE" + b"".join(
        cid + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
        for cid, data in chunks
    )
    return b"RIFF" + struct.pack("<I", riff_size or len(body)) + body


def fmt(tag: int = 1, channels: int = 1, rate: int = RATE, bits: int = 16) -> bytes:
    align = channels * bits // 8
    return struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits)


def test_unknown_chunks_are_skipped_and_an_open_ended_data_chunk_is_read_to_the_end():
    samples = (np.arange(401, dtype=np.int16) * 50).tobytes()
    data = riff([(b"LIST", b"INFOISFT\x05\x00\x00\x00test\x00"), (b"fmt ", fmt()), (b"data", b"")])
    # A recorder still writing leaves the data size at 0: the samples run to the end of file,
    # and the odd trailing byte (half a sample) is dropped.
    stats = frame_statistics(NonSeekable(data + samples + b"\x01")).stats
    assert stats.total_samples == 401
    assert stats.maximum[0].max() == pytest.approx(400 * 50 / 32768)


def test_a_data_chunk_longer_than_the_file_reads_what_is_there():
    samples = np.full(1000, 1000, dtype=np.int16).tobytes()
    data = riff([(b"fmt ", fmt()), (b"data", samples)])
    stats = frame_statistics(io.BytesIO(data[:-600])).stats
    assert stats.total_samples == 700


def test_silent_and_very_short_files():
    silent = frame_statistics(io.BytesIO(wav(np.zeros((RATE * 3, 2))))).stats
    result = analyse_recording(silent, None)
    assert result["duration_ms"] == 3000
    assert result["intervals"]["silence"] == [[0, 3000]]
    assert result["measures"]["silence_time"] == 3
    assert result["measures"]["agent_talk_time"] == 0
    short = frame_statistics(io.BytesIO(wav(signal(0.005)))).stats
    assert short.total_samples == 40
    assert short.mean_square.shape == (2, 1)
    result = analyse_recording(short, None)
    assert result["duration_ms"] == 5
    assert result["peaks"]["length"] == 1


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "too short"),
        (b"RIFF\x00\x00\x00\x00WAVE", "no data chunk"),
        (riff([(b"data", b"\0\0")]), "no fmt chunk"),
        (riff([(b"fmt ", fmt(channels=0)), (b"data", b"\0\0")]), "channels"),
        (riff([(b"fmt ", fmt(rate=0)), (b"data", b"\0\0")]), "sample rate"),
        (riff([(b"fmt ", fmt(channels=40)), (b"data", b"\0\0")]), "channels"),
        (riff([(b"fmt ", b"\x01\x00")]), "fmt chunk"),
        (riff([(b"fmt ", fmt()), (b"data", b"")])[:-8], "no data chunk"),
        (riff([(b"fmt ", fmt()), (b"data", b"")]), "no audio samples"),
        (b"\x00" * 5000, "not a recognised audio file"),
        (b"<html><body>Not Found</body></html>", "not a recognised audio file"),
        (b"ID3" + bytes(range(256)) * 20, "not a recognised audio file"),
    ],
)
def test_corrupt_files_raise_a_decode_error(data, problem):
    with pytest.raises(AudioDecodeError, match=problem):
        frame_statistics(io.BytesIO(data))


def test_a_truncated_compressed_file_is_an_error_or_shorter_never_a_crash():
    data = encode(signal(2.0), RATE, "FLAC", "PCM_16")
    try:
        stats = frame_statistics(io.BytesIO(data[: len(data) // 2])).stats
    except AudioDecodeError:
        return
    assert stats.total_samples < 2 * RATE


def test_recordings_over_the_length_limit_are_refused():
    data = wav(np.zeros((RATE * 3, 1)))
    with pytest.raises(AudioDecodeError, match="longer than 2 seconds"):
        frame_statistics(io.BytesIO(data), max_seconds=2)
