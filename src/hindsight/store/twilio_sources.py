"""Twilio sources, the workspaces that mirror them, and what ingest asks of the event log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hindsight.store.records import optional, reader
from hindsight.store.schema import events, retired_workspaces, twilio_sources, workspaces


@dataclass(frozen=True, slots=True)
class TwilioSourceRecord:
    """A Twilio account whose TaskRouter events an account mirrors (one row of
    `twilio_sources`); its auth token is kept sealed, to check webhook signatures."""

    sid: str
    account_sid: str
    twilio_account_sid: str
    auth_token_sealed: str
    friendly_name: str
    date_created: int
    date_updated: int


@dataclass(frozen=True, slots=True)
class MirrorWorkspace:
    """A workspace that mirrors a source."""

    sid: str
    friendly_name: str


@dataclass(frozen=True, slots=True)
class IngestWorkspace:
    """What ingest checks of a workspace before it appends a source's events to it."""

    sid: str
    account_sid: str
    friendly_name: str
    mirror_source: str | None  # None: a workspace Hindsight routes itself


read_source = reader(TwilioSourceRecord)
_read_mirror = reader(MirrorWorkspace)
_read_ingest_workspace = reader(IngestWorkspace)
_INGEST_WORKSPACE = select(
    workspaces.c.sid,
    workspaces.c.account_sid,
    workspaces.c.friendly_name,
    workspaces.c.mirror_source,
)

_GET = select(twilio_sources).where(twilio_sources.c.sid == bindparam("sid"))
_MIRROR_OF = select(workspaces.c.mirror_source).where(workspaces.c.sid == bindparam("sid"))


def insert_source(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(twilio_sources).values(**row))


def get_source(conn: Connection, sid: str) -> TwilioSourceRecord | None:
    return optional(read_source, conn.execute(_GET, {"sid": sid}).first())


def get_by_twilio_account(conn: Connection, twilio_account_sid: str) -> TwilioSourceRecord | None:
    query = select(twilio_sources).where(twilio_sources.c.twilio_account_sid == twilio_account_sid)
    return optional(read_source, conn.execute(query).first())


def list_sources(conn: Connection, account_sid: str | None = None) -> list[TwilioSourceRecord]:
    query = select(twilio_sources).order_by(twilio_sources.c.date_created, twilio_sources.c.sid)
    if account_sid is not None:
        query = query.where(twilio_sources.c.account_sid == account_sid)
    return [read_source(row) for row in conn.execute(query)]


def delete_source(conn: Connection, sid: str) -> bool:
    return conn.execute(delete(twilio_sources).where(twilio_sources.c.sid == sid)).rowcount == 1


def mirror_of(conn: Connection, workspace_sid: str) -> str | None:
    """The source a workspace mirrors, or None (also when there is no such workspace)."""
    return conn.execute(_MIRROR_OF, {"sid": workspace_sid}).scalar()


def mirrors_of(conn: Connection, source_sid: str) -> list[MirrorWorkspace]:
    query = (
        select(workspaces.c.sid, workspaces.c.friendly_name)
        .where(workspaces.c.mirror_source == source_sid)
        .order_by(workspaces.c.date_created, workspaces.c.sid)
    )
    return [_read_mirror(row) for row in conn.execute(query)]


def insert_workspace_if_absent(conn: Connection, row: dict[str, Any]) -> None:
    """Create a workspace unless its SID exists (two first events may race to create it)."""
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(
        dialect_insert(workspaces).values(**row).on_conflict_do_nothing(index_elements=["sid"])
    )


def lock_workspace(conn: Connection, sid: str) -> IngestWorkspace | None:
    """Any account's workspace by SID, locked for the transaction (PostgreSQL)."""
    query = _INGEST_WORKSPACE.where(workspaces.c.sid == sid).with_for_update()
    return optional(_read_ingest_workspace, conn.execute(query).first())


def update_workspace(conn: Connection, sid: str, values: dict[str, Any]) -> None:
    conn.execute(update(workspaces).where(workspaces.c.sid == sid).values(**values))


def recorded_events(conn: Connection, sids: Iterable[str]) -> dict[str, str]:
    """Of these event SIDs, those already in the log: SID → the workspace that holds it."""
    wanted = sorted(set(sids))
    if not wanted:
        return {}
    query = select(events.c.sid, events.c.workspace_sid).where(events.c.sid.in_(wanted))
    return {row.sid: row.workspace_sid for row in conn.execute(query)}


def is_retired(conn: Connection, workspace_sid: str) -> bool:
    """Whether a deleted workspace had this SID (its log is kept, and must not be mixed into)."""
    query = select(retired_workspaces.c.sid).where(retired_workspaces.c.sid == workspace_sid)
    return conn.execute(query).first() is not None
