"""Judging audio by its bytes: formats, durations, and files that are cut short or foreign."""

from __future__ import annotations

import io
import struct

import pytest

from hindsight.domain.errors import InvalidParameter, UnsupportedMediaType
from hindsight.media.audio import MP3, OGG, WAV, Truncated, probe, sniff
from tests.support import audio


def info(data: bytes):
    return probe(io.BytesIO(data), len(data))


def _extensible(data: bytes, subformat: int = 1) -> bytes:
    """The same PCM WAV with a WAVE_FORMAT_EXTENSIBLE fmt chunk."""
    channels, rate, byte_rate, align, bits = struct.unpack("<HIIHH", data[22:36])
    fmt = struct.pack("<HHIIHH", 0xFFFE, channels, rate, byte_rate, align, bits)
    fmt += struct.pack("<HHI", 22, bits, 3) + struct.pack("<H", subformat)
    fmt += b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + data[36:]
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_wav_pcm_in_every_width() -> None:
    for width in (1, 2, 3, 4):
        found = info(audio.wav(0.5, rate=22050, channels=2, width=width))
        assert (found.format, found.duration_ms, found.channels) == (WAV, 500, 2)
        assert found.sample_rate == 22050


def test_wav_extensible_pcm_is_accepted_and_float_refused() -> None:
    data = audio.wav(1.0)
    assert info(_extensible(data)).duration_ms == 1000
    with pytest.raises(UnsupportedMediaType, match="not PCM"):
        info(_extensible(data, subformat=3))


def test_wav_with_chunks_before_and_after_its_data() -> None:
    data = audio.wav(1.0)
    listing = b"LIST" + struct.pack("<I", 5) + b"INFOx" + b"\x00"  # odd size: padded
    trailer = b"id3 " + struct.pack("<I", 4) + b"abcd"
    body = data[12:36] + listing + data[36:] + trailer
    framed = b"RIFF" + struct.pack("<I", len(body) + 4) + b"WAVE" + body
    assert info(framed).duration_ms == 1000


def test_wav_refusals() -> None:
    data = audio.wav(1.0)
    with pytest.raises(Truncated, match="promises"):
        info(data[:-1])
    with pytest.raises(Truncated, match="before its data chunk"):
        info(data[:40])
    with pytest.raises(Truncated, match="before its fmt chunk"):
        info(data[:14])
    empty = data[:40] + struct.pack("<I", 0)
    with pytest.raises(InvalidParameter, match="no audio"):
        info(empty)
    data_first = data[:12] + data[36:44] + data[12:36] + data[44:]
    with pytest.raises(InvalidParameter, match="before its fmt"):
        info(data_first)
    adpcm = data[:20] + struct.pack("<H", 2) + data[22:]
    with pytest.raises(UnsupportedMediaType, match="format code 2"):
        info(adpcm)


def test_mp3_durations_and_trailing_tags() -> None:
    found = info(audio.mp3(200))
    assert (found.format, found.duration_ms) == (MP3, audio.mp3_duration_ms(200))
    tagged = audio.mp3(20, id3=False) + b"TAG" + bytes(125)
    assert info(tagged).duration_ms == audio.mp3_duration_ms(20)
    assert info(audio.mp3(1, id3=False)).duration_ms == audio.mp3_duration_ms(1)


def test_mp3_refusals() -> None:
    with pytest.raises(UnsupportedMediaType, match="no MPEG Layer III"):
        info(audio.mp3(5)[: -(417 * 5)] + b"not audio at all")
    with pytest.raises(UnsupportedMediaType, match="not MPEG"):
        info(audio.mp3(1, id3=False) + b"something else entirely")
    with pytest.raises(Truncated):
        info(audio.mp3(3, id3=False)[:-1])


def test_ogg_opus() -> None:
    data = audio.opus(5.0, channels=1)
    found = info(data)
    assert (found.format, found.channels, found.sample_rate) == (OGG, 1, 48000)
    assert found.duration_ms == audio.opus_duration_ms(data)


def test_ogg_refusals() -> None:
    data = audio.opus(1.0)
    with pytest.raises(InvalidParameter, match="no page there"):
        info(data + b"junk after the last page" * 2)
    with pytest.raises(Truncated, match="header of page"):
        info(data + b"OggS")
    not_first = data[:5] + b"\x00" + data[6:]
    with pytest.raises(InvalidParameter, match="first page"):
        info(not_first)
    head_only = data[:47]
    with pytest.raises(InvalidParameter, match="no audio"):
        info(head_only)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", WAV),
        (b"RIF", WAV),
        (b"OggS\x00\x02", OGG),
        (b"Ogg", OGG),
        (b"ID3\x03", MP3),
        (b"\xff\xfb\x90\x44", MP3),
    ],
)
def test_sniff(head: bytes, expected: str) -> None:
    assert sniff(head) == expected


@pytest.mark.parametrize(
    ("head", "looks_like"),
    [
        (b"GIF89a", "an image"),
        (b"%PDF-1.7", "PDF"),
        (b"PK\x03\x04", "ZIP"),
        (b"fLaC\x00", "FLAC"),
        (b"  [1, 2]", "JSON"),
        (b"\xff\xd8\xff\xe0", "an image"),
        (b"\x00\x01\x02\xfe\xff", "unknown binary"),
        (b"\xff\xfd\x90\x44", "unknown binary"),  # MPEG-1 Layer II: not MP3
    ],
)
def test_sniff_names_what_it_is_not(head: bytes, looks_like: str) -> None:
    with pytest.raises(UnsupportedMediaType, match=looks_like):
        sniff(head)
