"""Audio files made in the tests: WAV with the standard library, MP3 and Ogg Opus byte by byte.

The MP3 is MPEG-1 Layer III frames whose side information is all zero (digital silence, which
decoders play as such); the Ogg Opus stream is real Ogg pages (with their CRC) holding an
OpusHead, OpusTags and 20 ms packets that are a TOC byte alone (a zero-length frame, which the
Opus spec defines as a frame to conceal). Both are well formed to the byte, which is what the
upload checks and the range tests need; none needs an encoder or the network.
"""

from __future__ import annotations

import io
import math
import struct
import wave

MP3_RATE = 44_100
MP3_SAMPLES_PER_FRAME = 1152
# MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding: 144 * 128000 / 44100 = 417 bytes.
MP3_FRAME_BYTES = 417
OPUS_PRE_SKIP = 312
OPUS_PACKET_SAMPLES = 960  # 20 ms at 48 kHz


def wav(seconds: float = 1.0, *, rate: int = 8000, channels: int = 2, width: int = 2) -> bytes:
    """PCM WAV with a different tone on each channel (so every byte range differs)."""
    frames = int(seconds * rate)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        peak = 2 ** (8 * width - 1) - 1
        samples = bytearray()
        for n in range(frames):
            for c in range(channels):
                value = int(peak * 0.5 * math.sin(2 * math.pi * (440 + 220 * c) * n / rate))
                if width == 1:
                    samples += struct.pack("<B", value // 256 + 128)
                else:
                    samples += value.to_bytes(width, "little", signed=True)
        out.writeframes(bytes(samples))
    return buffer.getvalue()


def _mp3_frame(stereo: bool) -> bytes:
    mode = 0x04 if stereo else 0xC4  # joint stereo / mono; no copyright, original
    header = bytes((0xFF, 0xFB, 0x90, mode))
    return header + b"\x00" * (MP3_FRAME_BYTES - 4)


def mp3(frames: int = 100, *, stereo: bool = True, id3: bool = True) -> bytes:
    """An MP3 of `frames` silent frames (26.1 ms each), after an ID3v2.3 tag if asked."""
    tag = b""
    if id3:
        title = b"\x00" + b"Hindsight test"
        frame = b"TIT2" + struct.pack(">I", len(title)) + b"\x00\x00" + title
        size = len(frame) + 64  # with padding
        syncsafe = bytes((size >> 21 & 0x7F, size >> 14 & 0x7F, size >> 7 & 0x7F, size & 0x7F))
        tag = b"ID3\x03\x00\x00" + syncsafe + frame + b"\x00" * 64
    return tag + _mp3_frame(stereo) * frames


def mp3_duration_ms(frames: int) -> int:
    return frames * MP3_SAMPLES_PER_FRAME * 1000 // MP3_RATE


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return table


_CRC = _crc_table()


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC[((crc >> 24) & 0xFF) ^ byte]
    return crc


def ogg_page(packets: list[bytes], *, granule: int, serial: int, seq: int, flags: int) -> bytes:
    lacing = bytearray()
    for packet in packets:
        lacing += b"\xff" * (len(packet) // 255) + bytes((len(packet) % 255,))
    header = (
        b"OggS\x00"
        + bytes((flags,))
        + struct.pack("<qIII", granule, serial, seq, 0)
        + bytes((len(lacing),))
        + bytes(lacing)
    )
    page = header + b"".join(packets)
    crc = _ogg_crc(page)
    return page[:22] + struct.pack("<I", crc) + page[26:]


def opus(seconds: float = 2.0, *, channels: int = 2, serial: int = 0x4853) -> bytes:
    """Ogg Opus of `seconds` (whole 20 ms packets), 50 packets to a page."""
    head = b"OpusHead" + bytes((1, channels)) + struct.pack("<HIhB", OPUS_PRE_SKIP, 48_000, 0, 0)
    vendor = b"hindsight-tests"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    pages = [
        ogg_page([head], granule=0, serial=serial, seq=0, flags=0x02),
        ogg_page([tags], granule=0, serial=serial, seq=1, flags=0x00),
    ]
    toc = bytes(((31 << 3) | ((1 if channels == 2 else 0) << 2),))
    total = int(seconds * 50) + OPUS_PRE_SKIP // OPUS_PACKET_SAMPLES + 1
    granule, seq, left = 0, 2, total
    while left > 0:
        count = min(50, left)
        left -= count
        granule += count * OPUS_PACKET_SAMPLES
        flags = 0x04 if left == 0 else 0x00
        pages.append(ogg_page([toc] * count, granule=granule, serial=serial, seq=seq, flags=flags))
        seq += 1
    return b"".join(pages)


def opus_duration_ms(data: bytes) -> int:
    """What the last page's granule position says (the stream's length after pre-skip)."""
    last = data.rindex(b"OggS")
    granule = struct.unpack("<q", data[last + 6 : last + 14])[0]
    return (granule - OPUS_PRE_SKIP) * 1000 // 48_000
