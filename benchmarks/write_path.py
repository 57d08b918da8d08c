"""The write path: task attribute updates at concurrency 16 against a backlog of pending tasks,
with the router and projector on, beside a ceiling doing equal work, interleaved in one run.

    benchmarks/run-write-path                          # SQLite (1 process), PostgreSQL 1/2/3
    benchmarks/run-write-path --backend sqlite --requests 3000
    benchmarks/run-write-path --backend postgres --processes 1,2

Each round runs the ceiling (one transaction per request: update one row, append one event,
same durability) and then Hindsight, with the same requests, connections and process count.
A Hindsight phase ends when its background work has caught up: the projector's and the
router's stored positions have reached the last event of the workspace; that time counts in
its throughput. Latencies are observed by the client (a raw-socket load generator). The
backlog (pending tasks in the workflow's queue, no worker available) is served by Hindsight's
FIFO workflow; the updated tasks are drawn from it round-robin.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, func, select

from benchmarks.api_throughput import (
    AUTH,
    drop_postgres,
    media_attributes,
    postgres_url,
    setup_workspace,
    task_update,
)
from benchmarks.loadgen import LoadResult, build_request, run_load
from benchmarks.servers import (
    cpu_seconds,
    descendants_named,
    free_port,
    hindsight_process,
    serving_process,
)
from hindsight.store.database import normalise_url
from hindsight.store.schema import events, projector_cursors, router_cursors

FORM = "application/x-www-form-urlencoded"
CONCURRENCY = 16


@dataclass
class Phase:
    label: str
    load: LoadResult
    catch_up_seconds: float = 0.0
    # Seconds from an event's commit until the projector had taken it in, sampled every 50 ms
    # while the load ran (Hindsight phases only).
    projection_lag: list[float] = field(default_factory=list)
    # CPU microseconds per request in the HTTP processes (Hindsight: its `hs-web-N` workers;
    # the ceiling: its uvicorn processes), and for Hindsight in its background process.
    http_cpu_us: float = float("nan")
    background_cpu_us: float = float("nan")

    @property
    def throughput(self) -> float:
        return self.load.requests / (self.load.seconds + self.catch_up_seconds)


@contextmanager
def ceiling(database_url: str, processes: int) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {**os.environ, "CEILING_DB": database_url}
    subprocess.run(
        [sys.executable, "-c", "from benchmarks.ceiling_app import prepare; prepare()"],
        env=env,
        check=True,
    )
    command = [
        sys.executable, "-m", "uvicorn", "benchmarks.ceiling_app:app",
        "--port", str(port), "--workers", str(processes),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with serving_process(command, port, env) as served:
        yield served


def measured_load(
    pid: int, name_prefix: str | None, base: str, make: Callable[[int], bytes], requests: int
) -> tuple[LoadResult, float]:
    """Run the load and return it with the CPU microseconds per request it cost the processes
    of `pid` (those named `name_prefix*`, or all): process CPU time is far less sensitive to
    the rest of the machine's load than throughput is."""
    before = cpu_seconds(pid, name_prefix)
    result = asyncio.run(run_load(base, make, CONCURRENCY, requests))
    return result, (cpu_seconds(pid, name_prefix) - before) * 1e6 / max(1, result.requests)


def updates(base: str, ws: str, sids: list[str], mix: str):
    """`regroup`: every update names a new conversation id (each moves its task's segments
    to a new conversation: the projector's worst case). `steady`: each task keeps its
    conversation id and gains new media, as an integration writes after a call."""
    if mix == "regroup":
        return task_update(base, ws, sids)[1]

    def make(i: int) -> bytes:
        task = i % len(sids)
        url = f"{base}/v1/Workspaces/{ws}/Tasks/{sids[task]}"
        document = json.loads(media_attributes(i))
        document["conversations"]["conversation_id"] = f"conv-{task}"
        body = urlencode({"Attributes": json.dumps(document)}).encode()
        return build_request("POST", url, AUTH, body, FORM)

    return make


def ceiling_update(base: str):
    def make(i: int) -> bytes:
        body = urlencode({"Attributes": media_attributes(i)}).encode()
        return build_request("POST", f"{base}/tasks/{i}", "Basic x", body, FORM)

    return make


def caught_up_after(database_url: str, workspace: str, timeout: float = 300.0) -> float:
    """Seconds until the projector and router have stored positions at the workspace's head."""
    engine = create_engine(normalise_url(database_url))
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < timeout:
            with engine.connect() as conn:
                head = conn.execute(
                    select(func.max(events.c.seq)).where(events.c.workspace_sid == workspace)
                ).scalar()
                projected = conn.execute(
                    select(projector_cursors.c.seq).where(
                        projector_cursors.c.workspace_sid == workspace
                    )
                ).scalar()
                routed = conn.execute(
                    select(router_cursors.c.seq).where(router_cursors.c.workspace_sid == workspace)
                ).scalar()
            if head is not None and (projected or 0) >= head and (routed or 0) >= head:
                return time.perf_counter() - started
            time.sleep(0.02)
        raise RuntimeError("background work did not catch up")
    finally:
        engine.dispose()


class LagProbe:
    """Samples the workspace's newest event and the projector's position every 50 ms; the lag
    of a sample is how long until the projector's position reached that event."""

    def __init__(self, database_url: str, workspace: str) -> None:
        self._engine = create_engine(normalise_url(database_url))
        self._workspace = workspace
        self._stop = threading.Event()
        self._heads: list[tuple[float, int]] = []
        self._positions: list[tuple[float, int]] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            with self._engine.connect() as conn:
                head = conn.execute(
                    select(func.max(events.c.seq)).where(events.c.workspace_sid == self._workspace)
                ).scalar()
                now = time.perf_counter()
                position = conn.execute(
                    select(projector_cursors.c.seq).where(
                        projector_cursors.c.workspace_sid == self._workspace
                    )
                ).scalar()
            self._heads.append((now, head or 0))
            self._positions.append((now, position or 0))

    def __enter__(self) -> LagProbe:
        self._thread.start()
        return self

    def finish(self, until: float) -> list[float]:
        """Stop sampling heads; keep reading positions until every sample is projected."""
        self._heads_done = len(self._heads)
        deadline = time.perf_counter() + until
        while time.perf_counter() < deadline:
            if (
                self._positions
                and self._heads
                and self._positions[-1][1] >= max(h for _t, h in self._heads[: self._heads_done])
            ):
                break
            time.sleep(0.05)
        self._stop.set()
        self._thread.join()
        self._engine.dispose()
        lags = []
        for at, head in self._heads[: self._heads_done]:
            reached = next((t for t, p in self._positions if t >= at and p >= head), None)
            if reached is not None:
                lags.append(reached - at)
        return lags

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()


def print_profiles(folder: Path) -> None:
    """Where each process of `hindsight serve` spent its time (cProfile, own time, top 12)."""
    for path in sorted(folder.glob("*.prof")):
        stats = pstats.Stats(str(path))
        entries = stats.stats  # type: ignore[attr-defined]
        total = sum(tt for (_cc, _nc, tt, _ct, _callers) in entries.values())
        print(f"\n{path.stem}: {total:.1f} s of CPU on its main thread")
        stats.sort_stats("tottime").print_stats(12)


@contextmanager
def sampled_background(pid: int, folder: Path | None, label: str) -> Iterator[None]:
    """With `folder`, py-spy samples the background process while the block runs (the load
    and its catch-up only, not the backlog's setup) and writes collapsed stacks there."""
    spy = shutil.which("py-spy") or os.environ.get("PY_SPY")
    if folder is None:
        yield
        return
    if spy is None:
        raise SystemExit("--sample-background needs py-spy on PATH or in $PY_SPY")
    folder.mkdir(parents=True, exist_ok=True)
    target = descendants_named(pid, "hs-background")[0]
    out = folder / f"{label}.txt"
    command = [spy, "record", "--pid", str(target), "--format", "raw", "--rate", "200"]
    sampler = subprocess.Popen(
        [*command, "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        sampler.send_signal(signal.SIGINT)
        sampler.wait(timeout=60)
        print_samples(out)


def print_samples(path: Path, top: int = 25) -> None:
    """Own and total share of py-spy's samples per function (collapsed stacks)."""
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    samples = 0
    hindsight_frames: set[str] = set()
    # A frame's name may hold line breaks (a string a statement's listener was named by):
    # a sample ends at the line that ends in its count.
    for stack, count_text in re.findall(r"(.*?) (\d+)$", path.read_text(), re.S | re.M):
        count = int(count_text)
        frames = [re.sub(r" \((?:.*/)?([^/]*?):\d+\)$", r" (\1)", f) for f in stack.split(";")]
        samples += count
        hindsight_frames.update(
            name for name, raw in zip(frames, stack.split(";"), strict=True) if "hindsight/" in raw
        )
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames):
            total[frame] = total.get(frame, 0) + count
    print(f"\n{path.stem}: {samples} samples of hs-background (own %, total %)")
    for name, count in sorted(own.items(), key=lambda item: -item[1])[:top]:
        print(f"  own {100 * count / samples:5.1f} %  {name}")
    # Totals of Hindsight's own functions (the event loop's frames above them say little).
    ours = [(name, count) for name, count in total.items() if name in hindsight_frames]
    for name, count in sorted(ours, key=lambda item: -item[1])[:top]:
        print(f"  total {100 * count / samples:5.1f} %  {name}")


def run_backend(
    backend: str,
    processes: int,
    requests: int,
    rounds: int,
    backlog: int,
    root: Path,
    profile: Path | None = None,
    mix: str = "regroup",
    samples: Path | None = None,
) -> list[tuple[Phase, Phase]]:
    database_url = postgres_url() if backend == "postgres" else None
    ceiling_url = postgres_url() if backend == "postgres" else f"sqlite:///{root / 'ceiling.db'}"
    data = root / f"{backend}-{processes}"
    hindsight_url = database_url or f"sqlite:///{(data / 'hindsight.db').resolve()}"
    results = []
    try:
        with hindsight_process(data, database_url, processes, profile) as (base, pid):
            ws, sids = setup_workspace(base, backlog)
            caught_up_after(hindsight_url, ws)
            make_update = updates(base, ws, sids, mix)
            for n in range(rounds):
                with ceiling(ceiling_url, processes) as (ceiling_base, ceiling_pid):
                    make = ceiling_update(ceiling_base)
                    asyncio.run(run_load(ceiling_base, make, CONCURRENCY, 300))
                    bare_load, bare_cpu = measured_load(
                        ceiling_pid, None, ceiling_base, make, requests
                    )
                    bare = Phase("ceiling", bare_load, http_cpu_us=bare_cpu)
                asyncio.run(run_load(base, make_update, CONCURRENCY, 300))
                caught_up_after(hindsight_url, ws)
                background_before = cpu_seconds(pid, "hs-background")
                label = f"{backend}-x{processes}-round{n + 1}"
                with sampled_background(pid, samples, label):
                    with LagProbe(hindsight_url, ws) as probe:
                        load, http_cpu = measured_load(pid, "hs-web", base, make_update, requests)
                        ended = time.perf_counter()
                        lags = probe.finish(until=300)
                    # Catch-up counts from the end of the load, the probe's wait included.
                    caught_up_after(hindsight_url, ws)
                ours = Phase("hindsight", load, time.perf_counter() - ended, lags, http_cpu)
                ours.background_cpu_us = (
                    (cpu_seconds(pid, "hs-background") - background_before) * 1e6 / load.requests
                )
                results.append((bare, ours))
                print(f"  round {n + 1}: " + describe(bare) + " | " + describe(ours), flush=True)
    finally:
        for url in (database_url, ceiling_url):
            if url and url.startswith("postgresql"):
                drop_postgres(url)
    return results


def describe(phase: Phase) -> str:
    r = phase.load
    errors = f" errors {r.errors} {r.statuses}" if r.errors else ""
    catch = ""
    if phase.label == "hindsight":
        lag = phase.projection_lag
        lag_p99 = sorted(lag)[max(0, round(0.99 * len(lag)) - 1)] if lag else float("nan")
        catch = (
            f" (+{phase.catch_up_seconds:.2f} s catch-up; event→projected p50 "
            f"{statistics.median(lag) if lag else float('nan'):.2f} s p99 {lag_p99:.2f} s)"
        )
    cpu = f" HTTP CPU {phase.http_cpu_us:5.0f} µs/req"
    if phase.label == "hindsight":
        cpu += f" (background {phase.background_cpu_us:5.0f} µs/req)"
    return (
        f"{phase.label} {phase.throughput:6.0f}/s p50 {r.percentile(50):5.1f} ms "
        f"p99 {r.percentile(99):6.1f} ms{cpu}{catch}{errors}"
    )


def summarise(label: str, rounds: list[tuple[Phase, Phase]]) -> float:
    ours = statistics.median(o.throughput for _b, o in rounds)
    bare = statistics.median(b.throughput for b, _o in rounds)
    p50 = statistics.median(o.load.percentile(50) for _b, o in rounds)
    p99 = statistics.median(o.load.percentile(99) for _b, o in rounds)
    catch = statistics.median(o.catch_up_seconds for _b, o in rounds)
    ratio = statistics.median(o.throughput / b.throughput for b, o in rounds)
    cpu = statistics.median(o.http_cpu_us for _b, o in rounds)
    bare_cpu = statistics.median(b.http_cpu_us for b, _o in rounds)
    lags = sorted(lag for _b, o in rounds for lag in o.projection_lag)
    lag_p99 = lags[max(0, round(0.99 * len(lags)) - 1)] if lags else float("nan")
    print(
        f"{label:<13} hindsight {ours:6.0f} updates/s  p50 {p50:5.1f} ms  p99 {p99:6.1f} ms  "
        f"catch-up {catch:4.2f} s  event→projected p99 {lag_p99:4.2f} s | "
        f"ceiling {bare:6.0f}/s | ratio {ratio:.2f} | HTTP CPU µs/update {cpu:.0f}, "
        f"ceiling {bare_cpu:.0f}"
    )
    return ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "all"), default="all")
    parser.add_argument("--requests", type=int, default=6000, help="updates per phase")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backlog", type=int, default=1000, help="pending tasks")
    parser.add_argument("--processes", default="1,2,3", help="PostgreSQL HTTP processes")
    parser.add_argument(
        "--mix",
        choices=("regroup", "steady"),
        default="regroup",
        help="regroup: each update names a new conversation id (worst case); "
        "steady: each task keeps its conversation id",
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile each process of the first server"
    )
    parser.add_argument(
        "--sample-background",
        type=Path,
        metavar="DIR",
        help="py-spy the background process during each load and its catch-up; "
        "collapsed stacks go to DIR",
    )
    args = parser.parse_args()
    print(
        f"{args.requests} task updates per phase at concurrency {CONCURRENCY}, "
        f"{args.backlog} pending tasks, {args.rounds} interleaved rounds, {args.mix} updates; "
        f"{os.cpu_count()} cores"
    )
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        runs: list[tuple[str, int]] = []
        if args.backend in ("sqlite", "all"):
            runs.append(("sqlite", 1))
        if args.backend in ("postgres", "all"):
            runs += [("postgres", int(p)) for p in args.processes.split(",")]
        summaries = []
        for backend, processes in runs:
            label = f"{backend} x{processes}"
            print(f"{label}:", flush=True)
            profile = root / "profiles" if args.profile and not summaries else None
            result = run_backend(
                backend,
                processes,
                args.requests,
                args.rounds,
                args.backlog,
                root,
                profile,
                args.mix,
                args.sample_background,
            )
            summaries.append((label, result))
            if profile is not None:
                print_profiles(profile)
        print()
        for label, result in summaries:
            figures[label] = summarise(label, result)
    one = figures.get("postgres x1")
    for label, value in figures.items():
        if one and label.startswith("postgres") and not label.endswith("x1"):
            print(f"{label} / postgres x1: {value / one:.2f}")


if __name__ == "__main__":
    main()
