"""Bulk media exports: one row per export, which is also its job.

`queued` rows wait for a builder; one background process claims a row (status `building`, a
lease it renews while it writes), then marks it `ready` or `failed`. A lease that runs out (the
builder died) makes the row claimable again, and the ZIP is built afresh. `ready` turns into
`downloaded` exactly once: the update that does it is the one download allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_, select, update

from hindsight.store.job_rows import claim_first, update_owned
from hindsight.store.records import optional, reader
from hindsight.store.schema import media_exports as table

QUEUED, BUILDING, READY, DOWNLOADED, FAILED, EXPIRED = (
    "queued",
    "building",
    "ready",
    "downloaded",
    "failed",
    "expired",
)
FINISHED = (READY, DOWNLOADED, FAILED, EXPIRED)


@dataclass(frozen=True, slots=True)
class MediaExportRecord:
    """An export and its job (one row of `media_exports`); `conversation_ids` is a JSON list."""

    id: str
    account_sid: str
    actor_sid: str
    requester: str
    conversation_ids: str
    status: str
    total: int
    done: int
    items: int
    failed_items: int
    lease_owner: str | None
    lease_until_ms: int
    file_name: str | None
    size_bytes: int | None
    error: str | None
    created_ms: int
    finished_ms: int | None
    expires_ms: int


@dataclass(frozen=True, slots=True)
class ExpiredExport:
    """An export marked expired, whose file (if it has one) is deleted next."""

    id: str
    file_name: str | None


read = reader(MediaExportRecord)
_read_expired = reader(ExpiredExport)


def insert(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(table.insert().values(**row))


def find(conn: Connection, account_sid: str, export_id: str) -> MediaExportRecord | None:
    query = select(table).where(table.c.account_sid == account_sid, table.c.id == export_id)
    return optional(read, conn.execute(query).first())


def _claimable(now_ms: int) -> ColumnElement[bool]:
    return or_(
        table.c.status == QUEUED,
        and_(table.c.status == BUILDING, table.c.lease_until_ms < now_ms),
    )


def claim_next(
    conn: Connection, owner: str, now_ms: int, lease_until_ms: int
) -> MediaExportRecord | None:
    """Lease the oldest waiting export (or one whose builder stopped); None when none waits."""
    candidates = conn.execute(
        select(table.c.id)
        .where(_claimable(now_ms), table.c.expires_ms > now_ms)
        .order_by(table.c.created_ms, table.c.id)
        .limit(5)
    ).scalars()
    return claim_first(
        conn,
        table,
        candidates,
        _claimable(now_ms),
        read,
        status=BUILDING,
        lease_owner=owner,
        lease_until_ms=lease_until_ms,
        done=0,
        items=0,
        failed_items=0,
    )


def progress(
    conn: Connection,
    export_id: str,
    owner: str,
    lease_until_ms: int,
    *,
    done: int,
    items: int,
    failed_items: int,
) -> bool:
    """Record progress and renew the lease; False if this builder no longer holds it."""
    return update_owned(
        conn,
        table,
        export_id,
        owner,
        BUILDING,
        lease_until_ms=lease_until_ms,
        done=done,
        items=items,
        failed_items=failed_items,
    )


def finish(
    conn: Connection, export_id: str, owner: str, now_ms: int, file_name: str, size_bytes: int
) -> bool:
    ready = {"status": READY, "file_name": file_name, "size_bytes": size_bytes}
    ended = {"finished_ms": now_ms, "lease_owner": None}
    return update_owned(conn, table, export_id, owner, BUILDING, **ready, **ended)


def fail(conn: Connection, export_id: str, owner: str, now_ms: int, error: str) -> bool:
    values = {"status": FAILED, "error": error[:500], "finished_ms": now_ms, "lease_owner": None}
    return update_owned(conn, table, export_id, owner, BUILDING, **values)


def take_download(conn: Connection, account_sid: str, export_id: str, now_ms: int) -> bool:
    """Mark a ready export downloaded; True for the one caller that did it."""
    result = conn.execute(
        update(table)
        .where(
            table.c.account_sid == account_sid,
            table.c.id == export_id,
            table.c.status == READY,
            table.c.expires_ms > now_ms,
        )
        .values(status=DOWNLOADED)
    )
    return result.rowcount == 1


def expire_due(conn: Connection, now_ms: int, limit: int = 100) -> list[ExpiredExport]:
    """Exports past their expiry that still may hold a file: marked expired, returned.

    Downloaded ones too: their file is deleted once sent, but a download cut off before the
    end may leave it behind."""
    query = (
        select(table.c.id, table.c.file_name)
        .where(
            table.c.expires_ms <= now_ms,
            table.c.status.in_((QUEUED, READY, FAILED, DOWNLOADED)),
        )
        .limit(limit)
    )
    rows = [_read_expired(row) for row in conn.execute(query)]
    for row in rows:
        conn.execute(update(table).where(table.c.id == row.id).values(status=EXPIRED))
    return rows
