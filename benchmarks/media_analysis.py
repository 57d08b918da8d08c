"""Media analysis: decoding + speech activity + peaks, per hour of audio, and peak memory.

    benchmarks/run-media            # 60-minute stereo WAVs at 8 kHz (Twilio's) and 44.1 kHz
    benchmarks/run-media --minutes 10

Each recording is generated into a temporary directory (a conversation of alternating turns
over background noise), then analysed in a fresh process exactly as the server's worker does
(`hindsight.media.analysis.compute` on the spooled file); the figures are that process's wall
and CPU time and its peak resident memory, next to the file's size and the stored JSON sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

BLOCK_SECONDS = 60


def generate(path: Path, minutes: float, rate: int) -> None:
    """A long call written a minute at a time (the generator never holds the whole hour)."""
    from tests.support.speech_audio import conversation

    rng = np.random.default_rng(1)
    with soundfile.SoundFile(path, "w", rate, 2, "PCM_16", format="WAV") as out:
        for _minute in range(int(np.ceil(minutes * 60 / BLOCK_SECONDS))):
            customer, agent, at = [], [], 0.0
            while at < BLOCK_SECONDS - 2:
                turn = float(rng.uniform(1.5, 12))
                (customer if rng.random() < 0.45 else agent).append((at, min(at + turn, 59.5)))
                at += turn + float(rng.uniform(-1.5, 3))  # sometimes overlapping, often a gap
            out.write(conversation(BLOCK_SECONDS, customer, agent, rate=rate, seed=int(at)))


def measure(path: str) -> dict[str, float]:
    """Runs in a child process: analyse one file, report time and memory."""
    import tracemalloc

    from hindsight.media.analysis import AnalysisOptions, compute

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu = time.perf_counter(), time.process_time()
    columns = compute(path, None, AnalysisOptions())
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Again under tracemalloc (which slows allocation, so it is not timed): what the
    # analysis itself allocates at most, numpy arrays included.
    tracemalloc.start()
    compute(path, None, AnalysisOptions())
    return {
        "baseline_rss_mb": baseline,
        "traced_peak_mb": tracemalloc.get_traced_memory()[1] / 2**20,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": peak_rss,
        "duration_s": columns["duration_ms"] / 1000,
        "peaks_kb": len(columns["peaks"]) / 1024,
        "intervals_kb": len(columns["intervals"]) / 1024,
        "measures": json.loads(columns["measures"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rates", default="8000,44100")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    if args.generate:
        generate(Path(args.generate), args.minutes, args.rate)
        return
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    with tempfile.TemporaryDirectory(prefix="hindsight-media-bench-") as tmp:
        for rate in (int(r) for r in args.rates.split(",")):
            path = Path(tmp) / f"call-{rate}.wav"
            started = time.perf_counter()
            # Each step in a process of its own: Linux carries a parent's peak memory into
            # a child it starts, so the analysing process must not descend from the generator.
            module = [sys.executable, "-m", "benchmarks.media_analysis"]
            subprocess.run(
                [
                    *module,
                    "--generate",
                    str(path),
                    "--rate",
                    str(rate),
                    "--minutes",
                    str(args.minutes),
                ],
                check=True,
                env=env,
            )
            made = time.perf_counter() - started
            child = subprocess.run(
                [*module, "--child", str(path)], check=True, capture_output=True, text=True, env=env
            )
            r = json.loads(child.stdout)
            hours = r["duration_s"] / 3600
            print(
                f"{args.minutes:g} min stereo {rate} Hz WAV ({path.stat().st_size / 2**20:.0f} MB,"
                f" generated in {made:.0f} s): analysed in {r['wall_s']:.1f} s wall /"
                f" {r['cpu_s']:.1f} s CPU = {r['wall_s'] / hours:.1f} s per audio hour;"
                f" peak RSS {r['peak_rss_mb']:.0f} MB (process with imports: "
                f"{r['baseline_rss_mb']:.0f} MB; allocated by the analysis at most "
                f"{r['traced_peak_mb']:.0f} MB); peaks JSON {r['peaks_kb']:.0f} KB,"
                f" intervals JSON {r['intervals_kb']:.0f} KB"
            )
            print(f"    measures: {r['measures']}")


if __name__ == "__main__":
    main()
