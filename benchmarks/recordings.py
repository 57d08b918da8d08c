"""Streaming a 60-minute stereo call recording: time to first byte and throughput.

Generates a 60-minute, 8 kHz, 16-bit stereo WAV (what a dual-channel call recording is, about
115 MB) in a temporary directory, starts Hindsight (SQLite) in its own process, uploads the
file, then reads its media: the whole file, and from the middle (`Range: bytes=<mid>-`, as a
player does when the user seeks), each a few times. Prints the median of each figure.

    benchmarks/run-recordings              # 60 minutes, 3 rounds
    benchmarks/run-recordings --minutes 10 --rounds 5
"""

from __future__ import annotations

import argparse
import math
import statistics
import struct
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.servers import ACCOUNT_SID, AUTH_TOKEN, hindsight

RATE, CHANNELS, WIDTH = 8000, 2, 2
AUTH = (ACCOUNT_SID, AUTH_TOKEN)
CALL_SID = "CA" + "e" * 32


def write_wav(path: Path, minutes: float) -> int:
    """A stereo WAV of `minutes`, a second of two tones repeated (fast to write, not silence)."""
    second = bytearray()
    for n in range(RATE):
        for tone in (440, 660):
            second += struct.pack("<h", int(12000 * math.sin(2 * math.pi * tone * n / RATE)))
    seconds = int(minutes * 60)
    data_bytes = len(second) * seconds
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
    header += b"fmt " + struct.pack(
        "<IHHIIHH", 16, 1, CHANNELS, RATE, RATE * CHANNELS * WIDTH, CHANNELS * WIDTH, WIDTH * 8
    )
    header += b"data" + struct.pack("<I", data_bytes)
    with path.open("wb") as out:
        out.write(header)
        for _ in range(seconds):
            out.write(second)
    return len(header) + data_bytes


def upload(base: str, path: Path) -> tuple[dict, float]:
    started = time.perf_counter()
    with path.open("rb") as file:
        response = httpx.post(
            f"{base}/api/v1/recordings",
            files={"file": ("call.wav", file, "audio/wav")},
            data={"call_sid": CALL_SID},
            auth=AUTH,
            timeout=600,
        )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return response.json(), elapsed


def read(client: httpx.Client, url: str, headers: dict[str, str]) -> tuple[float, float, int]:
    """(seconds to the first body byte, seconds in all, bytes read)."""
    started = time.perf_counter()
    first = None
    total = 0
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code in (200, 206), response.status_code
        for chunk in response.iter_raw():
            if first is None:
                first = time.perf_counter() - started
            total += len(chunk)
    return first or 0.0, time.perf_counter() - started, total


def report(label: str, runs: list[tuple[float, float, int]]) -> None:
    ttfb = statistics.median(r[0] for r in runs) * 1000
    seconds = statistics.median(r[1] for r in runs)
    size = runs[0][2]
    print(
        f"{label:<34} ttfb {ttfb:7.2f} ms   {size / 1e6:7.1f} MB in {seconds:6.2f} s"
        f"   {size / 1e6 / seconds:7.1f} MB/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hindsight-recordings-") as tmp:
        root = Path(tmp)
        wav = root / "call.wav"
        size = write_wav(wav, args.minutes)
        print(f"{args.minutes:g}-minute stereo WAV (8 kHz, 16-bit): {size / 1e6:.1f} MB")
        with hindsight(root / "data", None) as base:
            recording, seconds = upload(base, wav)
            print(
                f"{'upload (probe, sha256, fsync)':<34} {size / 1e6:7.1f} MB in {seconds:6.2f} s"
                f"   {size / 1e6 / seconds:7.1f} MB/s   duration {recording['duration']:.0f} s"
            )
            url = recording["media_url"]
            middle = size // 2
            with httpx.Client(auth=AUTH, timeout=600) as client:
                read(client, url, {"Range": "bytes=0-0"})  # warm the connection
                whole = [read(client, url, {}) for _ in range(args.rounds)]
                seek = [
                    read(client, url, {"Range": f"bytes={middle}-"}) for _ in range(args.rounds)
                ]
                window = [
                    read(client, url, {"Range": f"bytes={middle}-{middle + 1024 * 1024 - 1}"})
                    for _ in range(args.rounds)
                ]
            report("GET whole file (200)", whole)
            report("GET bytes=<middle>- (206)", seek)
            report("GET 1 MiB from the middle (206)", window)


if __name__ == "__main__":
    main()
