"""Streaming a 60-minute recording from each media store: local / S3, plain / encrypted.

Writes a 60-minute, 8 kHz, 16-bit stereo WAV (115 MB), starts moto's S3 server and four
`hindsight serve` processes (SQLite each; media analysis off so nothing else runs):

* local plain      - `<data_dir>/recordings`, as before this issue;
* local encrypted  - the same, HINDSIGHT_MEDIA_ENCRYPTION=true;
* s3 plain         - HINDSIGHT_MEDIA_STORE=s3 against moto on localhost;
* s3 encrypted     - both.

The same file is uploaded to each, then the rounds interleave the configurations (every round
reads from all four in turn, so drift of the machine hits them alike) and each round reads:
the whole file (time to first byte, MB/s), a seek into the middle (`Range: bytes=<mid>-`, time
to first byte, as a player does when the user drags the position) and 1 MiB from the middle.
Beside them, as the ceiling of the S3 rows, the same reads straight from moto with boto3 (no
Hindsight in between). Medians are printed. moto is a Python server, so the S3 rows measure
Hindsight's path plus a slow local store; the ratio to the ceiling is the cost we add.

    benchmarks/run-media-streaming                 # 60 minutes, 5 rounds
    benchmarks/run-media-streaming --minutes 10 --rounds 5
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import httpx

from benchmarks.recordings import AUTH, read, upload, write_wav
from benchmarks.servers import free_port, hindsight, wait_ready

BUCKET = "hindsight-bench"
Run = tuple[float, float, int]


@contextlib.contextmanager
def moto() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{endpoint}/moto-api/", process)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=30)


def s3_client(endpoint: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def environments(endpoint: str, tmp: Path) -> dict[str, dict[str, str]]:
    s3 = {
        "HINDSIGHT_MEDIA_STORE": "s3",
        "HINDSIGHT_S3_ENDPOINT_URL": endpoint,
        "HINDSIGHT_S3_BUCKET": BUCKET,
        "HINDSIGHT_S3_ACCESS_KEY_ID": "bench",
        "HINDSIGHT_S3_SECRET_ACCESS_KEY": "bench",
        "HINDSIGHT_S3_PATH_STYLE": "true",
    }
    encrypted = {"HINDSIGHT_MEDIA_ENCRYPTION": "true"}
    quiet = {"HINDSIGHT_RUN_MEDIA_ANALYSIS": "false", "HINDSIGHT_RUN_PROJECTOR": "false"}
    return {
        "local plain": {**quiet},
        "local encrypted": {**quiet, **encrypted},
        "s3 plain": {**quiet, **s3, "HINDSIGHT_S3_PREFIX": "plain"},
        "s3 encrypted": {**quiet, **s3, **encrypted, "HINDSIGHT_S3_PREFIX": "sealed"},
    }


def direct_read(client, key: str, byte_range: str | None) -> Run:  # type: ignore[no-untyped-def]
    """The same read straight from the store (the S3 ceiling)."""
    started = time.perf_counter()
    kwargs = {"Bucket": BUCKET, "Key": key}
    if byte_range:
        kwargs["Range"] = byte_range
    body = client.get_object(**kwargs)["Body"]
    first = None
    total = 0
    for chunk in body.iter_chunks(256 * 1024):
        if first is None:
            first = time.perf_counter() - started
        total += len(chunk)
    return first or 0.0, time.perf_counter() - started, total


def line(label: str, runs: list[Run], ceiling: list[Run] | None = None) -> str:
    ttfb = statistics.median(r[0] for r in runs) * 1000
    seconds = statistics.median(r[1] for r in runs)
    size = runs[0][2]
    text = f"{label:<42} ttfb {ttfb:8.2f} ms  {size / 1e6:7.1f} MB {size / 1e6 / seconds:8.1f} MB/s"
    if ceiling:
        ratio = statistics.median(r[1] for r in ceiling) / seconds
        text += f"  ({ratio:4.2f}x the store's own speed)"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hindsight-media-streaming-") as tmp, moto() as s3:
        root = Path(tmp)
        wav = root / "call.wav"
        size = write_wav(wav, args.minutes)
        middle = size // 2
        print(f"{args.minutes:g}-minute stereo WAV (8 kHz, 16-bit): {size / 1e6:.1f} MB")
        client = s3_client(s3)
        client.create_bucket(Bucket=BUCKET)
        client.put_object(Bucket=BUCKET, Key="ceiling/call.wav", Body=wav.read_bytes())
        with contextlib.ExitStack() as stack:
            urls: dict[str, str] = {}
            for name, env in environments(s3, root).items():
                data_dir = root / name.replace(" ", "-")
                base = stack.enter_context(hindsight(data_dir, None, extra_env=env))
                recording, seconds = upload(base, wav)
                print(f"upload to {name:<16} {size / 1e6 / seconds:7.1f} MB/s")
                urls[name] = recording["media_url"]
            reads: dict[str, Callable[[httpx.Client, str], Run]] = {
                "whole file (200)": lambda c, u: read(c, u, {}),
                "seek to the middle, bytes=<mid>- (206)": lambda c, u: read(
                    c, u, {"Range": f"bytes={middle}-"}
                ),
                "1 MiB from the middle (206)": lambda c, u: read(
                    c, u, {"Range": f"bytes={middle}-{middle + 1024 * 1024 - 1}"}
                ),
            }
            direct = {
                "whole file (200)": None,
                "seek to the middle, bytes=<mid>- (206)": f"bytes={middle}-",
                "1 MiB from the middle (206)": f"bytes={middle}-{middle + 1024 * 1024 - 1}",
            }
            results: dict[tuple[str, str], list[Run]] = {}
            with httpx.Client(auth=AUTH, timeout=600) as http:
                for url in urls.values():
                    read(http, url, {"Range": "bytes=0-0"})  # warm connections and key caches
                order = ["s3 store itself (boto3)", *urls]
                for round_number in range(args.rounds):
                    # Each round starts with another configuration, so none always follows
                    # the same neighbour (moto is still freeing a large read for a while).
                    shift = round_number % len(order)
                    for what, reader in reads.items():
                        for name in order[shift:] + order[:shift]:
                            results.setdefault((name, what), []).append(
                                direct_read(client, "ceiling/call.wav", direct[what])
                                if name not in urls
                                else reader(http, urls[name])
                            )
        print(f"median of {args.rounds} interleaved rounds")
        for what in reads:
            print(f"-- {what}")
            ceiling = results[("s3 store itself (boto3)", what)]
            print(line("   s3 store itself (boto3, the ceiling)", ceiling))
            for name in urls:
                runs = results[(name, what)]
                print(line(f"   {name}", runs, ceiling if name.startswith("s3") else None))


if __name__ == "__main__":
    main()
