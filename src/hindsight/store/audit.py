"""The audit trail's tables: records in chain order, and the chain's head."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import Connection, Row, Select, insert, select, update

from hindsight.store.keyset import SortKey
from hindsight.store.schema import audit_head, audit_records

# The trail is read newest first.
NEWEST_FIRST = (SortKey(audit_records.c.seq, descending=True),)

_HEAD_ID = 1


@dataclass(frozen=True)
class AuditRecord:
    """One link of the audit chain (one row of `audit_records`), its fields in column order."""

    seq: int
    at_ms: int
    account_sid: str | None
    actor_type: str
    actor_sid: str | None
    actor_name: str | None
    roles: str  # JSON list of the actor's role names
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    reason: str | None
    ip: str | None
    detail: str  # JSON object
    previous_hash: str
    hash: str

    def fields(self) -> dict[str, Any]:
        """The record as the chain hashes it: every column by name."""
        return asdict(self)


_RECORD_FIELDS = tuple(f.name for f in fields(AuditRecord))


def record(row: Row[Any]) -> AuditRecord:
    """The record in `row`, a row of `audit_records`."""
    values = row._mapping
    return AuditRecord(**{name: values[name] for name in _RECORD_FIELDS})


_HEAD = select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == _HEAD_ID)


def lock_head(conn: Connection) -> tuple[int, str] | None:
    """The newest link, locked until the transaction ends (PostgreSQL; SQLite has one writer)."""
    row = conn.execute(_HEAD.with_for_update()).first()
    return None if row is None else (int(row.seq), row.hash)


def read_head(conn: Connection) -> tuple[int, str] | None:
    row = conn.execute(_HEAD).first()
    return None if row is None else (int(row.seq), row.hash)


def append(conn: Connection, row: dict[str, Any], head_exists: bool) -> None:
    conn.execute(insert(audit_records).values(**row))
    values = {"seq": row["seq"], "hash": row["hash"]}
    if head_exists:
        conn.execute(update(audit_head).where(audit_head.c.id == _HEAD_ID).values(**values))
    else:
        conn.execute(insert(audit_head).values(id=_HEAD_ID, **values))


def append_many(conn: Connection, rows: list[dict[str, Any]], head_exists: bool) -> None:
    """Several chained records at once (`rows` in chain order), moving the head once."""
    conn.execute(insert(audit_records), rows)
    values = {"seq": rows[-1]["seq"], "hash": rows[-1]["hash"]}
    if head_exists:
        conn.execute(update(audit_head).where(audit_head.c.id == _HEAD_ID).values(**values))
    else:
        conn.execute(insert(audit_head).values(id=_HEAD_ID, **values))


@dataclass(frozen=True)
class AuditFilters:
    account_sid: str | None = None
    actor: str | None = None
    action: str | None = None
    object_id: str | None = None
    outcome: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None


def search_query(filters: AuditFilters) -> Select[Any]:
    query = select(audit_records)
    c = audit_records.c
    if filters.account_sid is not None:
        query = query.where(c.account_sid == filters.account_sid)
    if filters.actor:
        query = query.where((c.actor_sid == filters.actor) | (c.actor_name == filters.actor))
    if filters.action:
        # "media" matches media.link, media.play, ...; an exact name matches itself.
        query = query.where(
            (c.action == filters.action) | c.action.startswith(filters.action + ".")
        )
    if filters.object_id:
        query = query.where(c.object_id == filters.object_id)
    if filters.outcome:
        query = query.where(c.outcome == filters.outcome)
    if filters.start_ms is not None:
        query = query.where(c.at_ms >= filters.start_ms)
    if filters.end_ms is not None:
        query = query.where(c.at_ms < filters.end_ms)
    return query


def in_order(conn: Connection, batch: int = 2000) -> Iterator[AuditRecord]:
    """Every record in chain order, read in batches (the whole trail may be large)."""
    after = 0
    while True:
        rows = conn.execute(
            select(audit_records)
            .where(audit_records.c.seq > after)
            .order_by(audit_records.c.seq)
            .limit(batch)
        ).all()
        for row in rows:
            yield record(row)
        if len(rows) < batch:
            return
        after = rows[-1].seq
