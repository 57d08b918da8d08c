"""The projector run in process on events as the log holds them, without a server: for the
projector's store tests and its benchmark (benchmarks/projector_batches.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hindsight.insights.derive import ProjectionOptions
from hindsight.insights.projector import PreparedEvents, prepare, project
from hindsight.store.database import Database

AC = "AC" + "a" * 32
WS = "WS" + "b" * 32
QUEUE = "WQ" + "4" * 32
T0 = 1_700_000_000_000


@dataclass(frozen=True)
class LoggedEvent:
    """The columns of a log row the projector reads."""

    seq: int
    event_type: str
    event_data: str
    event_date_ms: int
    account_sid: str = AC


def logged(
    steps: Iterable[tuple[str, int, dict[str, Any]]], first_seq: int = 1
) -> list[LoggedEvent]:
    """(event type, time, data) steps as the log holds them: numbered in order, data as JSON."""
    return [
        LoggedEvent(seq, kind, json.dumps(data), at)
        for seq, (kind, at, data) in enumerate(steps, start=first_seq)
    ]


def prepared(db: Database, batch: list[LoggedEvent], now_ms: int = T0) -> PreparedEvents:
    """The batch computed on a read connection, as the server's projector does it."""
    return db.read_sync(
        lambda conn: PreparedEvents(batch, prepare(conn, WS, batch, ProjectionOptions(), now_ms))
    )


def write(db: Database, events: PreparedEvents, now_ms: int = T0) -> None:
    """A prepared batch written in one transaction, as the server's projector writes it."""
    db.write_sync(lambda conn: project(conn, WS, events, ProjectionOptions(), now_ms))
