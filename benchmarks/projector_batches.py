"""The projector's cost per batch of the write path's updates, in process, on one store.

    benchmarks/run-projector-batches                          # SQLite and PostgreSQL
    benchmarks/run-projector-batches --store postgres --batches 40 --batch 100 --profile

What `write_path.py` loads the background process with, without HTTP, router or load
generator beside it: a log of pending tasks (created, entered a queue), then batches of
`task.updated` events in the `regroup` mix (each names a new conversation id and three media
items, so each moves its task's segments into a new conversation). Each batch runs as the
server's projector runs it (`prepare` on a read connection, then `project` in the write
transaction) and is timed: wall time of each step, CPU time of this process, and the
statements each step sends (each a round trip on PostgreSQL). CPU and statement counts are
far less sensitive to the machine's load than wall time: compare versions in the same run or
interleaved.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from tests.support.projector_log import QUEUE, T0, LoggedEvent, logged, prepared, write

from benchmarks.api_throughput import drop_postgres, media_attributes, postgres_url
from hindsight.store import migrate
from hindsight.store.database import Database, DatabaseOptions

QUEUED = {"task_queue_sid": QUEUE, "task_queue_name": "Sales"}


def task_sid(n: int) -> str:
    return f"WT{n:032x}"


def pending_task(n: int, attributes: str) -> dict[str, str]:
    """The data of a pending task's events (the n-th task, with these attributes)."""
    return {
        "task_sid": task_sid(n),
        "task_attributes": attributes,
        "task_channel_unique_name": "voice",
        "workflow_name": "FIFO",
        "task_assignment_status": "pending",
    }


def backlog(tasks: int) -> list[LoggedEvent]:
    """Pending tasks: created and queued, each in a conversation of its own."""
    found = []
    for n in range(tasks):
        data = pending_task(n, media_attributes(1_000_000 + n))
        found.append(("task.created", T0 + n, data))
        found.append(("task-queue.entered", T0 + n, {**data, **QUEUED}))
    return logged(found)


def updates(first_seq: int, count: int, tasks: int) -> list[LoggedEvent]:
    """`regroup` task updates, round-robin over the tasks (as `write_path.py` sends them)."""
    steps = [
        (
            "task.updated",
            T0 + 10_000_000 + i,
            {**pending_task(i % tasks, media_attributes(i)), **QUEUED},
        )
        for i in range(count)
    ]
    return logged(steps, first_seq)


class Statements:
    """Counts the statements (executions, an executemany counting once) sent to the store,
    and those of them sent inside a PostgreSQL pipeline (together, one round trip)."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        self.pipelined = 0
        # PostgreSQL's read engine is the write engine with other options: it shares its events.
        for engine in (db.write_engine, db.engine) if db.sqlite else (db.write_engine,):
            event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, *_args: Any) -> None:
        self.count += 1
        pgconn = getattr(conn.connection.driver_connection, "pgconn", None)
        if pgconn is not None and pgconn.pipeline_status:
            self.pipelined += 1


@dataclass
class Timing:
    read_s: float
    write_s: float
    cpu_s: float
    read_statements: int
    write_statements: int
    write_pipelined: int


def project_batch(db: Database, batch: list[LoggedEvent], counter: Statements, now: int) -> Timing:
    """One batch as `Projector._project` runs it: prepared on a read connection, then written."""
    cpu, started, before = time.process_time(), time.perf_counter(), counter.count
    pipelined = counter.pipelined
    events = prepared(db, batch, now)
    read_s, read_n = time.perf_counter() - started, counter.count - before
    started, before = time.perf_counter(), counter.count
    write(db, events, now)
    return Timing(
        read_s,
        time.perf_counter() - started,
        time.process_time() - cpu,
        read_n,
        counter.count - before,
        counter.pipelined - pipelined,
    )


@contextmanager
def store_url(store: str, root: Path) -> Iterator[str]:
    if store == "sqlite":
        yield f"sqlite:///{root / 'projector.db'}"
        return
    url = postgres_url()
    try:
        yield url
    finally:
        drop_postgres(url)


def run(store: str, tasks: int, batches: int, size: int, profile: bool) -> list[Timing]:
    with tempfile.TemporaryDirectory() as tmp, store_url(store, Path(tmp)) as url:
        db = Database(DatabaseOptions(url=url))
        try:
            migrate.upgrade(db.write_engine)
            counter = Statements(db)
            log = backlog(tasks)
            for start in range(0, len(log), 1000):
                project_batch(db, log[start : start + 1000], counter, T0)
            load = updates(len(log) + 1, batches * size, tasks)
            timings: list[Timing] = []
            profiler = cProfile.Profile() if profile else None
            for n in range(batches):
                batch = load[n * size : (n + 1) * size]
                if profiler is not None:
                    profiler.enable()
                timings.append(project_batch(db, batch, counter, T0 + 1 + n))
                if profiler is not None:
                    profiler.disable()
            if profiler is not None:
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
            return timings
        finally:
            db.close()


def report(store: str, size: int, timings: list[Timing]) -> None:
    def median(pick: Callable[[Timing], float]) -> float:
        return statistics.median(pick(t) for t in timings)

    print(
        f"{store:<8} {len(timings)} batches of {size}: "
        f"CPU {median(lambda t: t.cpu_s) * 1e6 / size:6.0f} µs/event, "
        f"read step {median(lambda t: t.read_s) * 1e3:6.1f} ms "
        f"({median(lambda t: t.read_statements):.0f} statements), "
        f"write step {median(lambda t: t.write_s) * 1e3:6.1f} ms "
        f"({median(lambda t: t.write_statements):.0f} statements, "
        f"{median(lambda t: t.write_pipelined):.0f} of them pipelined) (medians)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", choices=("sqlite", "postgres", "all"), default="all")
    parser.add_argument("--tasks", type=int, default=1000, help="pending tasks")
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch", type=int, default=100, help="events per batch")
    parser.add_argument("--profile", action="store_true", help="cProfile the batches")
    args = parser.parse_args()
    stores = ("sqlite", "postgres") if args.store == "all" else (args.store,)
    for store in stores:
        timings = run(store, args.tasks, args.batches, args.batch, args.profile)
        report(store, args.batch, timings)


if __name__ == "__main__":
    main()
