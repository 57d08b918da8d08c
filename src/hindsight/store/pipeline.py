"""Statements sent together: on PostgreSQL in psycopg's pipeline mode, one round trip for a run
of statements that need no result (the server still runs them in order, in the transaction).

Only statements that return no rows may run inside: SQLAlchemy reads a result's columns as soon
as it executes, and a pipelined statement has none yet. SQLite, in process, has no round trips
to save: the statements run as they are sent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError


@dataclass(frozen=True)
class Statements:
    """Writes prepared after a read: `send` runs them; `reads` if they read as well (then
    they cannot be pipelined)."""

    send: Callable[[Connection], None]
    reads: bool = False


@contextlib.contextmanager
def pipelined(conn: Connection, *, enabled: bool = True) -> Iterator[None]:
    """Send the statements executed inside together; the block ends once all have run."""
    if not enabled or conn.dialect.name != "postgresql":
        yield
        return
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.pipeline():
            yield
    except psycopg.Error as exc:
        # A failure surfaces when the pipeline is synced, outside SQLAlchemy's wrapping: wrapped
        # here as SQLAlchemy would, so callers (the retry of a deadlock loser) see the same.
        raise DBAPIError(None, None, exc) from exc
