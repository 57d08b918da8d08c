"""The request path alone: CPU microseconds one task attribute update costs Hindsight's HTTP
code, in this process, without a server, a socket or background work.

    benchmarks/run-request-path                          # SQLite
    benchmarks/run-request-path --backend postgres --profile

The application (`create_app`, as an HTTP worker of `hindsight serve` builds it) is called
through ASGI by 16 concurrent coroutines, each posting the write path's three-item
`conversations.media` update to tasks of a backlog of pending tasks; the figure is this
process's CPU time (all threads: the SQLite commit thread and PostgreSQL's worker threads
count) divided by the updates, and the share of it spent on the event loop's own thread (the
request handling and, on SQLite, the statements; not the commit thread's fsync, whose cost per
update depends on how many commits the load lets share one). CPU time depends less on the rest
of the machine's load than throughput does, but still moves with it (at load average 20, the
same code measured 1,100 to 1,900 µs): compare versions in interleaved runs, several of them.
`--profile` prints where the time went (cProfile, own time and cumulative time).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import event
from sqlalchemy.engine import Engine

from benchmarks.api_throughput import AUTH, drop_postgres, media_attributes, postgres_url
from benchmarks.servers import ACCOUNT_SID, AUTH_TOKEN

CONCURRENCY = 16


class StatementCount:
    """SQL statements sent to the database by every engine of this process (BEGIN and COMMIT
    the driver sends itself are not counted): unlike CPU time, exact whatever the load."""

    def __init__(self) -> None:
        self.count = 0
        event.listen(Engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def call(app: Asgi, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    """One request through the ASGI app, as uvicorn would make it; (status, body)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"authorization", AUTH.encode()),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # no disconnect while the request is handled
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def lifespan(app: Asgi) -> Callable[[], Awaitable[None]]:
    """Start the app's lifespan; returns the coroutine function that ends it."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.create_task(app({"type": "lifespan"}, inbox.get, outbox.put))
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started

    async def stop() -> None:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task

    return stop


async def setup(app: Asgi, backlog: int) -> tuple[str, list[str]]:
    status, body = await call(
        app,
        "POST",
        "/v1/Workspaces",
        urlencode({"FriendlyName": "bench", "Template": "FIFO"}).encode(),
    )
    assert status == 201, body
    ws = json.loads(body)["sid"]
    sids = []
    for i in range(backlog):
        form = urlencode({"Attributes": json.dumps({"n": i})}).encode()
        status, body = await call(app, "POST", f"/v1/Workspaces/{ws}/Tasks", form)
        assert status == 201, body
        sids.append(json.loads(body)["sid"])
    return ws, sids


def update_requests(ws: str, sids: list[str], first: int, count: int) -> list[tuple[str, bytes]]:
    """The updates' paths and bodies, built before the clock starts."""
    return [
        (
            f"/v1/Workspaces/{ws}/Tasks/{sids[i % len(sids)]}",
            urlencode({"Attributes": media_attributes(i)}).encode(),
        )
        for i in range(first, first + count)
    ]


async def updates(app: Asgi, requests: list[tuple[str, bytes]]) -> None:
    todo = iter(requests)

    async def worker() -> None:
        for path, form in todo:
            status, body = await call(app, "POST", path, form)
            if status != 200:
                raise RuntimeError(f"update answered {status}: {body[:200]!r}")

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def measure(app: Asgi, args: argparse.Namespace) -> None:
    statements = StatementCount()
    stop = await lifespan(app)
    try:
        ws, sids = await setup(app, args.backlog)
        # Warm caches and statement compilation first.
        await updates(app, update_requests(ws, sids, 0, 300))
        figures: list[float] = []
        loop_figures: list[float] = []
        for n in range(args.rounds):
            requests = update_requests(ws, sids, (n + 1) * args.requests, args.requests)
            profiler = cProfile.Profile() if args.profile and n == 0 else None
            cpu, wall, sent = time.process_time(), time.perf_counter(), statements.count
            on_loop = time.thread_time()
            if profiler is not None:
                profiler.enable()
            await updates(app, requests)
            if profiler is not None:
                profiler.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            on_loop = time.thread_time() - on_loop
            figures.append(cpu * 1e6 / args.requests)
            loop_figures.append(on_loop * 1e6 / args.requests)
            print(
                f"  round {n + 1}: {figures[-1]:6.0f} µs CPU per update "
                f"({loop_figures[-1]:4.0f} on the event loop's thread), "
                f"{(statements.count - sent) / args.requests:.2f} statements per update "
                f"({args.requests / wall:5.0f} updates/s in this process)"
                + (" [profiled]" if profiler is not None else ""),
                flush=True,
            )
            if profiler is not None:
                stats = pstats.Stats(profiler)
                stats.sort_stats("tottime").print_stats(args.top)
                stats.sort_stats("cumulative").print_stats(args.top)
                if args.callees:
                    stats.print_callees(args.callees)
        skip = 1 if args.profile and len(figures) > 1 else 0
        print(
            f"{args.backend}: median {statistics.median(figures[skip:]):.0f} µs CPU per task "
            f"update, {statistics.median(loop_figures[skip:]):.0f} of them on the event loop's "
            f"thread ({args.requests} updates x {len(figures) - skip} rounds, load average "
            f"{os.getloadavg()[0]:.1f})"
        )
    finally:
        await stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=2000, help="updates per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backlog", type=int, default=1000, help="pending tasks")
    parser.add_argument("--profile", action="store_true", help="profile the first round")
    parser.add_argument("--top", type=int, default=25, help="profile lines")
    parser.add_argument("--callees", help="also print what functions matching this called")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database_url = postgres_url() if args.backend == "postgres" else None
        os.environ.update(
            {
                "HINDSIGHT_DATA_DIR": str(Path(tmp)),
                "HINDSIGHT_BOOTSTRAP_ACCOUNT_SID": ACCOUNT_SID,
                "HINDSIGHT_BOOTSTRAP_AUTH_TOKEN": AUTH_TOKEN,
                "HINDSIGHT_LOG_LEVEL": "warning",
            }
        )
        if database_url:
            os.environ["HINDSIGHT_DATABASE_URL"] = database_url
        else:
            os.environ.pop("HINDSIGHT_DATABASE_URL", None)
        from hindsight.app import build_runtime, create_app
        from hindsight.settings import Settings

        settings = Settings()
        runtime = build_runtime(settings)
        runtime.services.accounts.bootstrap(
            settings.bootstrap_account_sid, settings.bootstrap_auth_token
        )
        try:
            asyncio.run(measure(create_app(runtime, background=False), args))
        finally:
            runtime.close()
            if database_url:
                drop_postgres(database_url)


if __name__ == "__main__":
    main()
