"""Delivery cursors of workspace event callbacks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, exists, insert, or_, select, update

from hindsight.store.records import optional, reader
from hindsight.store.schema import accounts, callback_cursors, events, workspaces


@dataclass(frozen=True, slots=True)
class CallbackCursor:
    """How far a workspace's events were delivered to its event callback URL (one row of
    `callback_cursors`), and who holds the lease to deliver more."""

    workspace_sid: str
    delivered_seq: int
    attempts: int
    next_attempt_ms: int
    last_error: str | None
    lease_owner: str | None
    lease_until_ms: int


@dataclass(frozen=True, slots=True)
class CallbackTarget:
    """Where and how to deliver a workspace's events; `events_filter` is a JSON list or None
    (every type), the account's token is sealed."""

    event_callback_url: str | None
    events_filter: str | None
    account_sid: str
    auth_token_sealed: str


read_cursor = reader(CallbackCursor)
_read_target = reader(CallbackTarget)

_DUE = (
    select(callback_cursors.c.workspace_sid)
    .join(workspaces, workspaces.c.sid == callback_cursors.c.workspace_sid)
    .where(
        exists().where(
            events.c.workspace_sid == callback_cursors.c.workspace_sid,
            events.c.seq > callback_cursors.c.delivered_seq,
        ),
        callback_cursors.c.next_attempt_ms <= bindparam("now"),
        callback_cursors.c.lease_until_ms < bindparam("now"),
    )
    .limit(bindparam("limit"))
)
_WATCHED = select(callback_cursors.c.workspace_sid)


def due(conn: Connection, now_ms: int, limit: int) -> list[str]:
    """Workspaces whose cursor has undelivered events, is due and nobody else holds."""
    return list(conn.execute(_DUE, {"now": now_ms, "limit": limit}).scalars())


def workspaces_with_callbacks(conn: Connection) -> list[str]:
    return list(conn.execute(_WATCHED).scalars())


def claim(
    conn: Connection, workspace_sid: str, owner: str, now_ms: int, until_ms: int
) -> CallbackCursor | None:
    """Take (or renew) the lease on a workspace's cursor; returns the cursor, or None if held."""
    result = conn.execute(
        update(callback_cursors)
        .where(
            callback_cursors.c.workspace_sid == workspace_sid,
            or_(
                callback_cursors.c.lease_until_ms < now_ms,
                callback_cursors.c.lease_owner == owner,
            ),
        )
        .values(lease_owner=owner, lease_until_ms=until_ms)
    )
    if result.rowcount != 1:
        return None
    return get(conn, workspace_sid)


def target(conn: Connection, workspace_sid: str) -> CallbackTarget | None:
    """Where and how to deliver: the workspace's URL and filter, and its account's token."""
    query = (
        select(
            workspaces.c.event_callback_url,
            workspaces.c.events_filter,
            accounts.c.sid.label("account_sid"),
            accounts.c.auth_token_sealed,
        )
        .join(accounts, accounts.c.sid == workspaces.c.account_sid)
        .where(workspaces.c.sid == workspace_sid)
    )
    return optional(_read_target, conn.execute(query).first())


def advance(conn: Connection, workspace_sid: str, owner: str, delivered_seq: int) -> None:
    conn.execute(
        update(callback_cursors)
        .where(
            callback_cursors.c.workspace_sid == workspace_sid,
            callback_cursors.c.lease_owner == owner,
        )
        .values(delivered_seq=delivered_seq, attempts=0, last_error=None)
    )


def record_failure(
    conn: Connection,
    workspace_sid: str,
    owner: str,
    attempts: int,
    next_attempt_ms: int,
    error: str,
) -> None:
    conn.execute(
        update(callback_cursors)
        .where(
            callback_cursors.c.workspace_sid == workspace_sid,
            callback_cursors.c.lease_owner == owner,
        )
        .values(attempts=attempts, next_attempt_ms=next_attempt_ms, last_error=error[:500])
    )


def release(conn: Connection, workspace_sid: str, owner: str) -> None:
    conn.execute(
        update(callback_cursors)
        .where(
            callback_cursors.c.workspace_sid == workspace_sid,
            callback_cursors.c.lease_owner == owner,
        )
        .values(lease_owner=None, lease_until_ms=0)
    )


def get(conn: Connection, workspace_sid: str) -> CallbackCursor | None:
    query = select(callback_cursors).where(callback_cursors.c.workspace_sid == workspace_sid)
    return optional(read_cursor, conn.execute(query).first())


def stop(conn: Connection, workspace_sid: str) -> None:
    """No more deliveries to the workspace's event callback URL."""
    conn.execute(delete(callback_cursors).where(callback_cursors.c.workspace_sid == workspace_sid))


def start(conn: Connection, workspace_sid: str, delivered_seq: int) -> None:
    """Deliver the workspace's events after position `delivered_seq`, from a fresh cursor."""
    conn.execute(
        insert(callback_cursors).values(
            workspace_sid=workspace_sid,
            delivered_seq=delivered_seq,
            attempts=0,
            next_attempt_ms=0,
            lease_until_ms=0,
        )
    )
