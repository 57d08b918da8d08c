"""The media analysis queue and its results: one row per account and media key.

A row is its own job: `pending` rows wait for `next_attempt_ms`, a worker leases one (status
`running`, `lease_until_ms`), and finishes it `done` or `failed`, or puts it back `pending`
with a later attempt time. A lease that runs out (the process died) makes the row claimable
again, so nothing is lost across restarts and two processes never run one job at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hindsight.store.job_rows import claim_first, update_owned
from hindsight.store.records import optional, reader, written
from hindsight.store.schema import media_analyses as table

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


@dataclass(frozen=True, slots=True)
class MediaAnalysisRecord:
    """An analysis job and, once done, its result (one row of `media_analyses`): the JSON
    columns (`channels`, `channel_map`, `intervals`, `measures`, `peaks`) as stored text."""

    id: int
    account_sid: str
    media_key: str
    source_sealed: str
    channels: str | None
    status: str
    error: str | None
    attempts: int
    next_attempt_ms: int
    lease_owner: str | None
    lease_until_ms: int
    codec: str | None
    duration_ms: int | None
    channel_map: str | None
    intervals: str | None
    measures: str | None
    peaks: str | None
    completed_ms: int | None
    date_created: int
    date_updated: int


read = reader(MediaAnalysisRecord)


def find(conn: Connection, account_sid: str, media_key: str) -> MediaAnalysisRecord | None:
    query = select(table).where(table.c.account_sid == account_sid, table.c.media_key == media_key)
    return optional(read, conn.execute(query).first())


def create_if_absent(conn: Connection, row: dict[str, Any]) -> MediaAnalysisRecord:
    """Insert the job unless the account already has one for this key; returns the row."""
    build = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(
        build(table)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["account_sid", "media_key"])
    )
    return written(find(conn, row["account_sid"], row["media_key"]))


def _claimable(now_ms: int) -> ColumnElement[bool]:
    return or_(
        and_(table.c.status == PENDING, table.c.next_attempt_ms <= now_ms),
        and_(table.c.status == RUNNING, table.c.lease_until_ms < now_ms),
    )


def claim_next(
    conn: Connection, owner: str, now_ms: int, lease_until_ms: int
) -> MediaAnalysisRecord | None:
    """Lease the oldest due job (or one whose lease ran out); None when there is none."""
    candidates = conn.execute(
        select(table.c.id).where(_claimable(now_ms)).order_by(table.c.id).limit(5)
    ).scalars()
    return claim_first(
        conn,
        table,
        candidates,
        _claimable(now_ms),
        read,
        status=RUNNING,
        lease_owner=owner,
        lease_until_ms=lease_until_ms,
        attempts=table.c.attempts + 1,
        date_updated=now_ms,
    )


def renew(conn: Connection, job_id: int, owner: str, lease_until_ms: int) -> bool:
    return update_owned(conn, table, job_id, owner, RUNNING, lease_until_ms=lease_until_ms)


def _unlease(conn: Connection, job_id: int, owner: str, now_ms: int, **values: Any) -> bool:
    """End `owner`'s lease on the job, leaving it with `values`; False if it no longer held it."""
    return update_owned(
        conn,
        table,
        job_id,
        owner,
        RUNNING,
        lease_owner=None,
        lease_until_ms=0,
        date_updated=now_ms,
        **values,
    )


def finish(conn: Connection, job_id: int, owner: str, now_ms: int, result: dict[str, Any]) -> bool:
    return _unlease(
        conn, job_id, owner, now_ms, status=DONE, error=None, completed_ms=now_ms, **result
    )


def fail(conn: Connection, job_id: int, owner: str, now_ms: int, error: str) -> bool:
    return _unlease(conn, job_id, owner, now_ms, status=FAILED, error=error, completed_ms=now_ms)


def retry_later(
    conn: Connection, job_id: int, owner: str, now_ms: int, at_ms: int, error: str
) -> bool:
    return _unlease(conn, job_id, owner, now_ms, status=PENDING, error=error, next_attempt_ms=at_ms)


def release(conn: Connection, job_id: int, owner: str, now_ms: int) -> bool:
    """Hand a job back untried (the server is stopping): due again at once."""
    return _unlease(
        conn,
        job_id,
        owner,
        now_ms,
        status=PENDING,
        attempts=table.c.attempts - 1,
        next_attempt_ms=now_ms,
    )


__all__ = [
    "DONE",
    "FAILED",
    "PENDING",
    "RUNNING",
    "MediaAnalysisRecord",
    "claim_next",
    "create_if_absent",
    "fail",
    "find",
    "finish",
    "release",
    "renew",
    "retry_later",
]
