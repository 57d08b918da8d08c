"""The ceiling for the write path: per request, one transaction that updates one task row and
appends one event row, with the same durability as Hindsight (SQLite WAL + synchronous=FULL;
PostgreSQL's default synchronous commit), on the same uvicorn, with no authentication,
validation, routing, projection or JSON rendering. Run with N uvicorn workers to compare with
Hindsight's N HTTP processes.

    CEILING_DB=sqlite:///path.db  or  CEILING_DB=postgresql://...  (environment)
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from urllib.parse import parse_qsl

import psycopg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROWS = 10_000
_URL = os.environ["CEILING_DB"]
_POOL = 8

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS ceiling_tasks (id INTEGER PRIMARY KEY, attributes TEXT)",
    "CREATE TABLE IF NOT EXISTS ceiling_events (id BIGINT PRIMARY KEY, task_id INTEGER, "
    "data TEXT, at_ms BIGINT)",
]


def prepare() -> None:
    """Create the tables and rows once (run by the benchmark before starting workers)."""
    if _URL.startswith("sqlite"):
        db = sqlite3.connect(_URL.removeprefix("sqlite:///"), isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        for statement in _SCHEMA:
            db.execute(statement)
        db.executemany(
            "INSERT OR IGNORE INTO ceiling_tasks (id, attributes) VALUES (?, '{}')",
            ((i,) for i in range(ROWS)),
        )
        db.close()
        return
    with psycopg.connect(_URL, autocommit=True) as db:
        for statement in _SCHEMA:
            db.execute(statement)
        db.execute("CREATE SEQUENCE IF NOT EXISTS ceiling_positions")
        db.execute(
            "INSERT INTO ceiling_tasks (id, attributes) SELECT i, '{}' "
            "FROM generate_series(0, %s) i ON CONFLICT DO NOTHING",
            (ROWS - 1,),
        )


class _Sqlite:
    def __init__(self) -> None:
        self.db = sqlite3.connect(
            _URL.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
        )
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA busy_timeout=5000")

    async def write(self, task_id: int, attributes: str) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        db.execute("UPDATE ceiling_tasks SET attributes = ? WHERE id = ?", (attributes, task_id))
        db.execute(
            "INSERT INTO ceiling_events (id, task_id, data, at_ms) VALUES "
            "((SELECT COALESCE(MAX(id), 0) + 1 FROM ceiling_events), ?, ?, ?)",
            (task_id, attributes, int(time.time() * 1000)),
        )
        db.execute("COMMIT")


class _Postgres:
    def __init__(self) -> None:
        self.idle: asyncio.Queue[psycopg.AsyncConnection] | None = None

    async def _connections(self) -> asyncio.Queue[psycopg.AsyncConnection]:
        if self.idle is None:
            self.idle = asyncio.Queue()
            for _ in range(_POOL):
                self.idle.put_nowait(await psycopg.AsyncConnection.connect(_URL))
        return self.idle

    async def write(self, task_id: int, attributes: str) -> None:
        idle = await self._connections()
        conn = await idle.get()
        try:
            async with conn.transaction():
                await conn.execute(
                    "UPDATE ceiling_tasks SET attributes = %s WHERE id = %s", (attributes, task_id)
                )
                await conn.execute(
                    "INSERT INTO ceiling_events (id, task_id, data, at_ms) VALUES "
                    "(nextval('ceiling_positions'), %s, %s, %s)",
                    (task_id, attributes, int(time.time() * 1000)),
                )
        finally:
            idle.put_nowait(conn)


_store = _Sqlite() if _URL.startswith("sqlite") else _Postgres()


async def update(request: Request) -> Response:
    form = dict(parse_qsl((await request.body()).decode()))
    await _store.write(int(request.path_params["task"]) % ROWS, form["Attributes"])
    return Response(b'{"ok":true}', media_type="application/json")


async def healthz(_request: Request) -> Response:
    return Response(b"ok")


app = Starlette(
    routes=[Route("/tasks/{task}", update, methods=["POST"]), Route("/healthz", healthz)]
)
