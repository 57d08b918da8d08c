"""Connections and transactions, on SQLite (embedded default) and PostgreSQL (scale-out).

Every unit of work is a plain function `fn(conn) -> T` run inside one transaction:

* `await db.write(fn)` on SQLite goes to a single writer thread that owns the only write
  connection. Units that arrive together share one transaction (each in its own SAVEPOINT, so
  one unit's error rolls back only its own changes) and one fsync: group commit. SQLite allows
  one writer at a time anyway; serialising here removes "database is locked" retries.
* `await db.write(fn)` on PostgreSQL runs in a worker thread on a pooled connection, one
  transaction per unit; PostgreSQL does its own group commit.
* `await db.read(fn)` runs on a pooled read connection in a worker thread.

The `*_sync` variants are for the CLI and for tests that drive the store directly.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

T = TypeVar("T")
Unit = Callable[[Connection], T]

log = logging.getLogger(__name__)

# How many queued units the SQLite writer folds into one transaction at most.
_MAX_GROUP = 64


@dataclass(frozen=True)
class DatabaseOptions:
    url: str
    sqlite_synchronous: str = "FULL"
    pool_size: int = 8


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_engine(url: str, synchronous: str, *, writer: bool) -> Engine:
    # NullPool for the writer: exactly one long-lived connection is opened by the writer thread.
    engine = create_engine(
        url,
        poolclass=NullPool if writer else None,
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so SAVEPOINT and BEGIN IMMEDIATE
        # behave as written.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


def _postgres_engine(url: str, pool_size: int) -> Engine:
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for `postgresql://` URLs (SQLAlchemy would otherwise pick psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


class _SqliteWriter:
    """The one thread that writes to a SQLite database, with group commit."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: queue.SimpleQueue[tuple[Unit[Any], Future[Any]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
        self._thread.start()

    def submit(self, fn: Unit[T]) -> Future[T]:
        future: Future[T] = Future()
        self._queue.put((fn, future))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _take_group(self) -> tuple[list[tuple[Unit[Any], Future[Any]]], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        group = [first]
        stop = False
        while len(group) < _MAX_GROUP:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                stop = True
                break
            group.append(item)
        return group, stop

    def _run(self) -> None:
        with self._engine.connect() as conn:
            while True:
                group, stop = self._take_group()
                if group:
                    self._run_group(conn, group)
                if stop:
                    return

    def _run_group(self, conn: Connection, group: list[tuple[Unit[Any], Future[Any]]]) -> None:
        if len(group) == 1:
            fn, future = group[0]
            try:
                with conn.begin():
                    result = fn(conn)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)
            return
        outcomes: list[tuple[bool, Any]] = []
        try:
            with conn.begin():
                for fn, _future in group:
                    savepoint = conn.begin_nested()
                    try:
                        result = fn(conn)
                    except BaseException as exc:
                        savepoint.rollback()
                        outcomes.append((False, exc))
                    else:
                        savepoint.commit()
                        outcomes.append((True, result))
        except BaseException as exc:
            # The commit itself failed (disk full, I/O error): nothing in the group was written.
            log.exception("group commit failed")
            for _fn, future in group:
                future.set_exception(exc)
            return
        for (ok, value), (_fn, future) in zip(outcomes, group, strict=True):
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


class Database:
    """The composition root's handle on storage; see the module docstring."""

    def __init__(self, options: DatabaseOptions) -> None:
        self.url = normalise_url(options.url)
        self.sqlite = is_sqlite(self.url)
        self._writer: _SqliteWriter | None = None
        if self.sqlite:
            self.engine = _sqlite_engine(self.url, options.sqlite_synchronous, writer=False)
            self._write_engine = _sqlite_engine(self.url, options.sqlite_synchronous, writer=True)
        else:
            self.engine = _postgres_engine(self.url, options.pool_size)
            self._write_engine = self.engine
        self._limiter = anyio.CapacityLimiter(options.pool_size)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _writer_thread(self) -> _SqliteWriter:
        if self._writer is None:
            self._writer = _SqliteWriter(self._write_engine)
        return self._writer

    async def write(self, fn: Unit[T]) -> T:
        if self.sqlite:
            return await asyncio.wrap_future(self._writer_thread().submit(fn))
        return await anyio.to_thread.run_sync(self.write_sync, fn, limiter=self._limiter)

    async def read(self, fn: Unit[T]) -> T:
        return await anyio.to_thread.run_sync(self.read_sync, fn, limiter=self._limiter)

    def write_sync(self, fn: Unit[T]) -> T:
        if self.sqlite:
            return self._writer_thread().submit(fn).result()
        with self._write_engine.begin() as conn:
            return fn(conn)

    def read_sync(self, fn: Unit[T]) -> T:
        with self.engine.connect() as conn, conn.begin():
            return fn(conn)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._write_engine.dispose()
        self.engine.dispose()
