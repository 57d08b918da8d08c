"""Connections and transactions, on SQLite (embedded default) and PostgreSQL (scale-out).

Every unit of work is a plain function `fn(conn) -> T` run inside one transaction.

SQLite allows one writer at a time, and its statements take microseconds, so on SQLite the
server runs them on the event loop's own thread rather than handing them to worker threads:
a second thread would fight the event loop for the GIL on every statement (SQLite releases it
around each step), which costs far more than the statement. Writes are grouped: the units
submitted during one turn of the event loop run in one transaction and share one fsync: group
commit (see `_run_group` for what happens when one of them fails).

* `await db.write(fn)`: SQLite — queued for the next group commit on the loop;
  PostgreSQL — a worker thread on a pooled connection, one transaction per unit.
* `await db.read(fn)`: short reads. SQLite — on the loop, on its own read connection (WAL
  readers never wait for the writer); PostgreSQL — a worker thread.
* `await db.scan(fn)`: reads that may take long (lists, searches) — always a worker thread.
* `*_sync` variants: for the CLI and tests, from any thread, on separate connections.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from hindsight.domain.errors import Unavailable
from hindsight.store.direct import DirectStatement
from hindsight.store.events import LogHorizon

T = TypeVar("T")
Unit = Callable[[Connection], T]

log = logging.getLogger(__name__)

# How many queued units one SQLite group commit takes at most.
_MAX_GROUP = 256
# How long the loop's write connection waits for a lock held by another process (the
# background process, another HTTP worker, a CLI command) before yielding to the loop and
# trying again. The loop must not block: while it waits, requests queue up unparsed; while it
# sleeps instead, it parses them and their writes join the next group commit.
_LOOP_BUSY_MS = 1
_LOCKED_RETRY_SECONDS = 0.002
_YIELD_MAX_SECONDS = 0.05
_LOCKED_GIVE_UP_SECONDS = 30.0
_WAL_TRUNCATE_BYTES = 32 * 1024 * 1024
# PostgreSQL's deadlock_detected and serialization_failure: the losing unit runs again, up to
# _ATTEMPTS times, after a short random pause (two losers retrying in step would meet again).
_RETRYABLE = {"40P01", "40001"}
_ATTEMPTS = 8
# PostgreSQL refusing connections for a moment (too_many_connections, cannot_connect_now).
_REFUSED = {"53300", "57P03"}


@dataclass(frozen=True)
class DatabaseOptions:
    url: str
    sqlite_synchronous: str = "FULL"
    pool_size: int = 8
    # SQLite, for the background process: after each group commit, leave the write lock free
    # for as long as the group held it (at most _YIELD_MAX_SECONDS), so HTTP workers in other
    # processes are not starved by a follower committing back to back (SQLite's lock is not
    # fair: whoever asks first after a commit gets it, and that is the process that just
    # committed). Background work is asynchronous; requests are waited for.
    sqlite_yield_writes: bool = False
    # SQLite: copy the WAL back into the database file from a thread of this process (see
    # `_Checkpointer`). One process per database file is enough: `hindsight serve`'s HTTP
    # workers leave it to their background process, whose thread would otherwise be one of
    # N + 1 doing the same copy, and whose CPU the requests would pay for.
    sqlite_checkpoints: bool = True


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for `postgresql://` URLs (SQLAlchemy would otherwise pick psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


# Every group commit begins with one: straight to the driver, not through Core's execution
# path (a few per cent of the request loop's time on SQLite; see store.direct).
_BEGIN_IMMEDIATE = DirectStatement(text("BEGIN IMMEDIATE"))
_BEGIN = DirectStatement(text("BEGIN"))


def _sqlite_engine(
    url: str, synchronous: str, *, immediate: bool, busy_ms: int, autocheckpoint: bool = True
) -> Engine:
    engine = create_engine(
        url,
        poolclass=NullPool if immediate else None,
        connect_args={"check_same_thread": False, "timeout": busy_ms / 1000},
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
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        # SQLite's default page cache is 2 MiB; the indexes of a busy event log outgrow it at
        # once, and every miss is a system call. Memory-mapped reads skip the copy as well.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA mmap_size=268435456")
        if not autocheckpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    begin = _BEGIN_IMMEDIATE if immediate else _BEGIN

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        begin.execute(conn, {})

    return engine


class _Checkpointer:
    """Copies the WAL back into the database file from a thread of its own.

    SQLite would otherwise checkpoint inside whichever commit crosses the threshold, which on
    the server means on the event loop, stalling every request for the length of an fsync'd
    copy. A PASSIVE checkpoint never waits for readers or the writer, so it can run any time.
    """

    def __init__(self, path: str, interval_seconds: float = 0.25) -> None:
        self._path = path
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, timeout=5, check_same_thread=False)
        wal = f"{self._path}-wal"
        try:
            while not self._stop.wait(self._interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    # Under steady writes a passive checkpoint never finds the WAL fully copied
                    # at the moment the next write begins, so the WAL would only grow (and every
                    # read would search a longer WAL index). Once it is large, a TRUNCATE
                    # checkpoint briefly holds writers back (they wait without blocking the
                    # event loop) and starts the WAL afresh.
                    if os.path.exists(wal) and os.path.getsize(wal) > _WAL_TRUNCATE_BYTES:
                        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                except sqlite3.Error:
                    log.warning("WAL checkpoint failed; will retry", exc_info=True)
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def _is_locked(exc: OperationalError) -> bool:
    return "locked" in str(exc.orig).lower() or "busy" in str(exc.orig).lower()


Group = list[tuple[Unit[Any], asyncio.Future[Any]]]


def _settle(group: Group, outcomes: list[tuple[bool, Any]]) -> None:
    for (ok, value), (_fn, future) in zip(outcomes, group, strict=True):
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


class _UnitFailed(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _LoopSqlite:
    """SQLite work on the event loop: grouped writes and short reads, each on its connection."""

    def __init__(
        self,
        write_engine: Engine,
        read_engine: Engine,
        checkpoint: Callable[[], _Checkpointer] | None,
        yield_writes: bool = False,
    ) -> None:
        self._yield_writes = yield_writes
        self._write_engine = write_engine
        self._read_engine = read_engine
        self._start_checkpointer = checkpoint
        self._checkpointer: _Checkpointer | None = None
        self._writer: Connection | None = None
        self._reader: Connection | None = None
        self._pending: list[tuple[Unit[Any], asyncio.Future[Any]]] = []
        self._flushing = False
        self._flush_task: asyncio.Task[None] | None = None
        # COMMIT waits for fsync; doing it here instead of on the loop lets the loop read
        # and validate the next requests meanwhile (sqlite3 releases the GIL while it waits).
        self._committer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-commit")

    def write(self, fn: Unit[T]) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((fn, future))
        if not self._flushing:
            self._flushing = True
            # Runs after the callbacks already due in this turn of the loop, so requests that
            # arrived together commit together.
            self._flush_task = loop.create_task(self._flush())
        return future

    async def _flush(self) -> None:
        try:
            while self._pending:
                group, self._pending = self._pending[:_MAX_GROUP], self._pending[_MAX_GROUP:]
                await self._commit(group)
        finally:
            self._flushing = False

    async def _commit(self, group: Group) -> None:
        if self._writer is None:
            self._writer = self._write_engine.connect()
            if self._start_checkpointer is not None:
                self._checkpointer = self._start_checkpointer()
        deadline = time.monotonic() + _LOCKED_GIVE_UP_SECONDS
        while True:
            try:
                started = time.monotonic()
                await self._run_group(self._writer, group)
                if self._yield_writes:
                    await asyncio.sleep(min(time.monotonic() - started, _YIELD_MAX_SECONDS))
                return
            except OperationalError as exc:
                if _is_locked(exc) and time.monotonic() < deadline:
                    # Another process holds the write lock: let the loop run, then retry.
                    await asyncio.sleep(_LOCKED_RETRY_SECONDS)
                    continue
                self._fail(group, exc)
                return
            except Exception as exc:
                # Beginning or committing failed (disk full, I/O error): nothing was written.
                log.exception("group commit failed")
                self._fail(group, exc)
                return

    async def _run_group(self, conn: Connection, group: Group) -> None:
        """Run units in one transaction and settle their futures: group commit.

        Units normally succeed, so they run together without savepoints (which would cost two
        more statements per unit). If one fails, the transaction is rolled back and the units
        run again one transaction each, so each gets its own outcome and nothing of a failed
        unit is kept. Only a failure to begin or commit escapes, and then nothing was written.
        """
        try:
            _settle(group, [(True, result) for result in await self._transact(conn, group)])
            return
        except _UnitFailed as failed:
            if len(group) == 1:
                _settle(group, [(False, failed.error)])
                return
        for unit in group:
            try:
                _settle([unit], [(True, (await self._transact(conn, [unit]))[0])])
            except _UnitFailed as failed:
                _settle([unit], [(False, failed.error)])

    async def _transact(self, conn: Connection, group: Group) -> list[Any]:
        """The units in one transaction, committed off the loop; a unit error rolls back."""
        transaction = conn.begin()
        try:
            results = []
            for fn, _future in group:
                try:
                    results.append(fn(conn))
                except Exception as exc:
                    raise _UnitFailed(exc) from exc
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._committer, transaction.commit)
            return results
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise

    @staticmethod
    def _fail(group: list[tuple[Unit[Any], asyncio.Future[Any]]], exc: BaseException) -> None:
        for _fn, future in group:
            if not future.done():
                future.set_exception(exc)

    def read(self, fn: Unit[T]) -> T:
        if self._reader is None:
            self._reader = self._read_engine.connect()
        with self._reader.begin():
            return fn(self._reader)

    def close(self) -> None:
        self._committer.shutdown(wait=True)
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        for conn in (self._writer, self._reader):
            if conn is not None:
                conn.close()
        self._writer = self._reader = None


def _raise_unavailable(exc: DBAPIError, state: str | None) -> None:
    """A lock conflict lost on every attempt, or a connection refused: a passing condition of
    a busy server, not a fault of the request. Nothing was written; the caller is told to try
    again (503) rather than given a 500."""
    if state in _RETRYABLE or state in _REFUSED:
        log.warning("database unavailable for a unit of work (%s): %s", state, exc.orig)
        raise Unavailable("The database is busy; nothing was changed. Try again.") from exc


class Database:
    """The composition root's handle on storage; see the module docstring."""

    def __init__(self, options: DatabaseOptions) -> None:
        self.url = normalise_url(options.url)
        self.sqlite = is_sqlite(self.url)
        self._limiter = anyio.CapacityLimiter(options.pool_size)
        # Where this process's followers of the event log may read up to (see store.events).
        self.horizon = LogHorizon()
        self._loop: _LoopSqlite | None = None
        if self.sqlite:
            sync = options.sqlite_synchronous
            self.engine = _sqlite_engine(self.url, sync, immediate=False, busy_ms=30_000)
            self._write_engine = _sqlite_engine(self.url, sync, immediate=True, busy_ms=30_000)
            path = make_url(self.url).database
            self._loop = _LoopSqlite(
                _sqlite_engine(
                    self.url, sync, immediate=True, busy_ms=_LOOP_BUSY_MS, autocheckpoint=False
                ),
                _sqlite_engine(self.url, sync, immediate=False, busy_ms=_LOOP_BUSY_MS),
                checkpoint=(
                    (lambda: _Checkpointer(path)) if path and options.sqlite_checkpoints else None
                ),
                yield_writes=options.sqlite_yield_writes,
            )
        else:
            # Dropped connections are detected when used and the pool replaced; a ping on every
            # checkout would add a round trip to every unit of work.
            self._write_engine = create_engine(
                self.url,
                pool_size=options.pool_size,
                max_overflow=options.pool_size,
                pool_recycle=3600,
            )
            # Reads under READ COMMITTED gain nothing from BEGIN/COMMIT except two round trips.
            self.engine = self._write_engine.execution_options(isolation_level="AUTOCOMMIT")

    @property
    def write_engine(self) -> Engine:
        """An engine whose connections run transactions: for migrations and admin work."""
        return self._write_engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def write(self, fn: Unit[T]) -> T:
        if self._loop is not None:
            return await self._loop.write(fn)
        return await anyio.to_thread.run_sync(self.write_sync, fn, limiter=self._limiter)

    async def read(self, fn: Unit[T]) -> T:
        if self._loop is not None:
            return self._loop.read(fn)
        return await anyio.to_thread.run_sync(self.read_sync, fn, limiter=self._limiter)

    async def scan(self, fn: Unit[T]) -> T:
        return await anyio.to_thread.run_sync(self.read_sync, fn, limiter=self._limiter)

    def write_sync(self, fn: Unit[T]) -> T:
        attempt = 0
        while True:
            try:
                with self._write_engine.begin() as conn:
                    return fn(conn)
            except DBAPIError as exc:
                # PostgreSQL aborts one of two transactions that wait on each other's row locks;
                # units are functions of what they read, so running the loser again is safe.
                state = getattr(exc.orig, "sqlstate", None)
                attempt += 1
                if state in _RETRYABLE and attempt < _ATTEMPTS:
                    time.sleep(random.uniform(0.005, 0.02) * attempt)
                    continue
                _raise_unavailable(exc, state)
                raise

    def read_sync(self, fn: Unit[T]) -> T:
        try:
            with self.engine.connect() as conn, conn.begin():
                return fn(conn)
        except DBAPIError as exc:
            _raise_unavailable(exc, getattr(exc.orig, "sqlstate", None))
            raise

    def close(self) -> None:
        if self._loop is not None:
            self._loop.close()
        self._write_engine.dispose()
        self.engine.dispose()
