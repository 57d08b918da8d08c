"""What an uploaded audio file is, judged by its bytes: WAV (PCM), MP3 or Ogg Opus.

`sniff` names the format from the first bytes, so an upload that is no audio at all is refused
before it is stored. `probe` then reads the whole container structure: duration, channels and
sample rate, and refuses a file that is cut short (a WAV whose data chunk promises more bytes
than there are, an MP3 or Ogg stream that ends inside a frame or page). It reads headers only,
never decodes audio, and walks MP3 frames and Ogg pages in large blocks, so a 60-minute file
takes a fraction of a second.

Ogg pages are checked for structure, not CRC: the CRC would cost a pure-Python pass over every
byte, and a cut or misplaced page is what the structure check is for.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from hindsight.domain.errors import InvalidParameter, UnsupportedMediaType

SNIFF_BYTES = 64
WAV, MP3, OGG = "wav", "mp3", "ogg"
CONTENT_TYPES = {WAV: "audio/wav", MP3: "audio/mpeg", OGG: "audio/ogg"}
ACCEPTED = "WAV (PCM), MP3 or Ogg Opus"
_BLOCK = 1 << 20
_MAX_WAV_CHUNKS = 4096
_PCM = 1
_EXTENSIBLE = 0xFFFE
# The tail of KSDATAFORMAT_SUBTYPE_PCM, after its two-byte format code.
_PCM_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
_OPUS_RATE = 48_000


@dataclass(frozen=True)
class AudioInfo:
    format: str
    duration_ms: int
    channels: int
    sample_rate: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


class Truncated(InvalidParameter):
    """The file is cut short: its headers promise bytes that are not there."""


def _what_it_looks_like(head: bytes) -> str:
    if head.startswith(b"\x89PNG"):
        return "a PNG image"
    if head.startswith((b"\xff\xd8\xff", b"GIF8")):
        return "an image"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive"
    if head.startswith(b"RIFF"):
        return "a RIFF file that is not WAVE"
    if head.startswith(b"fLaC"):
        return "FLAC audio"
    text = head.lstrip()
    if text[:1] in (b"{", b"["):
        return "JSON"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "an unknown binary format"
    return "text"


def sniff(head: bytes) -> str:
    """The format of a file from its first bytes (up to SNIFF_BYTES); 415 when not audio."""
    if head.startswith(b"RIFF") and (len(head) < 12 or head[8:12] == b"WAVE"):
        return WAV
    if head.startswith(b"OggS") or (len(head) < 4 and b"OggS".startswith(head)):
        return OGG
    if head.startswith(b"ID3") or _mp3_header(head[:4]) is not None:
        return MP3
    if len(head) < 4 and head and (b"RIFF".startswith(head) or b"ID3".startswith(head)):
        # Too short to tell apart from the start of an audio file: cut short, not foreign.
        return WAV if head[:1] == b"R" else MP3
    raise UnsupportedMediaType(
        f"The file is not audio Hindsight accepts: it looks like {_what_it_looks_like(head)}. "
        f"Upload {ACCEPTED}."
    )


def probe(reader: BinaryIO, size: int) -> AudioInfo:
    """Duration, channels and sample rate of a whole file; refuses what is not well formed."""
    if size <= 0:
        raise InvalidParameter("The file is empty")
    reader.seek(0)
    head = reader.read(SNIFF_BYTES)
    kind = sniff(head)
    if kind == WAV:
        return _probe_wav(reader, size)
    if kind == MP3:
        return _probe_mp3(reader, size)
    return _probe_ogg(reader, size)


def _read_at(reader: BinaryIO, offset: int, length: int) -> bytes:
    reader.seek(offset)
    return reader.read(length)


# --- WAV ------------------------------------------------------------------------------------


def _probe_wav(reader: BinaryIO, size: int) -> AudioInfo:
    if size < 12:
        raise Truncated("The WAV file ends inside its RIFF header")
    offset = 12
    fmt: tuple[int, int, int, int] | None = None
    for _ in range(_MAX_WAV_CHUNKS):
        header = _read_at(reader, offset, 8)
        if len(header) < 8:
            raise Truncated(
                "The WAV file ends before its data chunk"
                if fmt is not None
                else "The WAV file ends before its fmt chunk"
            )
        chunk_id, chunk_size = header[:4], struct.unpack("<I", header[4:])[0]
        body = offset + 8
        if chunk_id == b"fmt ":
            fmt = _wav_format(_read_at(reader, body, min(chunk_size, 40)), chunk_size)
        elif chunk_id == b"data":
            if fmt is None:
                raise InvalidParameter("The WAV file has its data chunk before its fmt chunk")
            channels, rate, block_align, _bits = fmt
            if body + chunk_size > size:
                raise Truncated(
                    f"The WAV file is cut short: its data chunk promises {chunk_size} bytes "
                    f"but only {size - body} follow"
                )
            frames = chunk_size // block_align
            if frames == 0:
                raise InvalidParameter("The WAV file holds no audio (its data chunk is empty)")
            return AudioInfo(WAV, frames * 1000 // rate, channels, rate)
        offset = body + chunk_size + (chunk_size & 1)
    raise InvalidParameter("The WAV file has too many chunks before its audio")


def _wav_format(data: bytes, declared: int) -> tuple[int, int, int, int]:
    if declared < 16 or len(data) < 16:
        raise Truncated("The WAV file's fmt chunk is cut short")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", data[:16])
    if tag == _EXTENSIBLE:
        if len(data) < 40:
            raise InvalidParameter("The WAV file's extensible fmt chunk is too short")
        if data[26:40] != _PCM_GUID_TAIL:
            raise UnsupportedMediaType(f"The WAV file is not PCM audio. Upload {ACCEPTED}.")
        tag = struct.unpack("<H", data[24:26])[0]
    if tag != _PCM:
        raise UnsupportedMediaType(
            f"The WAV file is not PCM audio (format code {tag}). Upload {ACCEPTED}."
        )
    if not 1 <= channels <= 16 or not 1000 <= rate <= 384_000 or bits not in (8, 16, 24, 32):
        raise InvalidParameter(
            f"The WAV file's format is not plausible: {channels} channels, {rate} Hz, "
            f"{bits} bits per sample"
        )
    if block_align != channels * bits // 8:
        raise InvalidParameter("The WAV file's block alignment does not match its format")
    return channels, rate, block_align, bits


# --- MP3 ------------------------------------------------------------------------------------

# kbit/s by bitrate index, for MPEG-1 Layer III and MPEG-2/2.5 Layer III.
_BITRATES_V1 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_BITRATES_V2 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


@dataclass(frozen=True)
class _Frame:
    version: int  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    sample_rate: int
    channels: int
    length: int
    samples: int


def _mp3_header(data: bytes) -> _Frame | None:
    """An MPEG audio Layer III frame header, or None when these 4 bytes are not one."""
    if len(data) < 4 or data[0] != 0xFF or data[1] & 0xE0 != 0xE0:
        return None
    version = (data[1] >> 3) & 3
    layer = (data[1] >> 1) & 3
    bitrate_index = data[2] >> 4
    rate_index = (data[2] >> 2) & 3
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    padding = (data[2] >> 1) & 1
    rate = _RATES[version][rate_index]
    if version == 3:
        kbps, samples, factor = _BITRATES_V1[bitrate_index], 1152, 144
    else:
        kbps, samples, factor = _BITRATES_V2[bitrate_index], 576, 72
    length = factor * kbps * 1000 // rate + padding
    channels = 1 if data[3] >> 6 == 3 else 2
    return _Frame(version, rate, channels, length, samples)


def _id3_end(reader: BinaryIO, size: int) -> int:
    """Where the audio starts after any ID3v2 tags at the head of the file."""
    offset = 0
    while True:
        header = _read_at(reader, offset, 10)
        if not header.startswith(b"ID3"):
            if offset > 0 or size >= 3:
                return offset
            raise Truncated("The MP3 file ends inside its ID3 tag header")
        if len(header) < 10:
            raise Truncated("The MP3 file ends inside its ID3 tag header")
        sizes = header[6:10]
        if any(b & 0x80 for b in sizes):
            raise InvalidParameter("The MP3 file's ID3 tag header is malformed")
        tag = (sizes[0] << 21) | (sizes[1] << 14) | (sizes[2] << 7) | sizes[3]
        end = offset + 10 + tag + (10 if header[5] & 0x10 else 0)
        if end > size:
            raise Truncated("The MP3 file is cut short inside its ID3 tag")
        offset = end


def _probe_mp3(reader: BinaryIO, size: int) -> AudioInfo:
    start = _id3_end(reader, size)
    first_bytes = _read_at(reader, start, 4)
    if len(first_bytes) < 4:
        raise Truncated("The MP3 file ends before its first frame header is complete")
    first = _mp3_header(first_bytes)
    if first is None:
        raise UnsupportedMediaType(
            f"The file has an ID3 tag but no MPEG Layer III audio after it. Upload {ACCEPTED}."
        )
    frames, samples, position = 0, 0, start
    block_start, block = start, b""
    while True:
        if position + 4 > block_start + len(block):
            block_start, block = position, _read_at(reader, position, _BLOCK)
        at = position - block_start
        header = block[at : at + 4]
        frame = _mp3_header(header)
        if frame is None or frame.version != first.version:
            break
        if frame.sample_rate != first.sample_rate:
            break
        if position + frame.length > size:
            raise Truncated(
                f"The MP3 file is cut short: frame {frames + 1} needs {frame.length} bytes "
                f"but only {size - position} remain"
            )
        frames += 1
        samples += frame.samples
        position += frame.length
        if position >= size:
            break
    remaining = size - position
    if 0 < remaining < 4 and _read_at(reader, position, 1) == b"\xff":
        raise Truncated("The MP3 file ends inside a frame header")
    if frames == 1 and remaining > 0:
        # Four bytes that happen to read as a frame header, followed by something else, are
        # more likely chance than audio: an MP3 stream is frame after frame.
        raise UnsupportedMediaType(f"The file is not MPEG Layer III audio. Upload {ACCEPTED}.")
    # Anything else after the last frame is a trailing tag (ID3v1, APE, Lyrics) or padding.
    return AudioInfo(MP3, samples * 1000 // first.sample_rate, first.channels, first.sample_rate)


# --- Ogg Opus -------------------------------------------------------------------------------


def _probe_ogg(reader: BinaryIO, size: int) -> AudioInfo:
    position, pages = 0, 0
    serial: int | None = None
    channels = pre_skip = 0
    last_granule = -1
    block_start, block = 0, b""
    while position < size:
        if position + 282 > block_start + len(block):
            block_start, block = position, _read_at(reader, position, _BLOCK)
        at = position - block_start
        header = block[at : at + 27]
        if len(header) < 27:
            raise Truncated(f"The Ogg file ends inside the header of page {pages + 1}")
        if header[:4] != b"OggS" or header[4] != 0:
            raise InvalidParameter(f"The Ogg file is malformed at byte {position}: no page there")
        flags = header[5]
        granule, page_serial, _seq, _crc, segments = struct.unpack("<qIIIB", header[6:27])
        table = block[at + 27 : at + 27 + segments]
        if len(table) < segments:
            raise Truncated(f"The Ogg file ends inside the header of page {pages + 1}")
        body_length = sum(table)
        body_start = position + 27 + segments
        if body_start + body_length > size:
            raise Truncated(
                f"The Ogg file is cut short: page {pages + 1} needs {body_length} bytes "
                f"but only {size - body_start} remain"
            )
        if pages == 0:
            if not flags & 0x02:
                raise InvalidParameter("The Ogg file does not begin with a stream's first page")
            opus_head = _read_at(reader, body_start, min(body_length, 19))
            if not opus_head.startswith(b"OpusHead"):
                raise UnsupportedMediaType(
                    f"The Ogg file does not carry Opus audio. Upload {ACCEPTED}."
                )
            if len(opus_head) < 19 or opus_head[8] >> 4 != 0 or opus_head[9] == 0:
                raise InvalidParameter("The Ogg file's OpusHead header is malformed")
            serial, channels = page_serial, opus_head[9]
            pre_skip = struct.unpack("<H", opus_head[10:12])[0]
        elif page_serial == serial and granule != -1:
            last_granule = granule
        pages += 1
        position = body_start + body_length
    samples = max(0, last_granule - pre_skip)
    if pages < 3 or samples == 0:
        raise InvalidParameter("The Ogg Opus file holds no audio")
    return AudioInfo(OGG, samples * 1000 // _OPUS_RATE, channels, _OPUS_RATE)
