"""Delivery cursors of workspace event callbacks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, delete, exists, insert, or_, select, update

from hindsight.store.schema import accounts, callback_cursors, events, workspaces

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


def due(conn: Connection, now_ms: int, limit: int) -> list[Any]:
    """Cursors with undelivered events whose next attempt is due and that nobody else holds."""
    return list(conn.execute(_DUE, {"now": now_ms, "limit": limit}).scalars())


def workspaces_with_callbacks(conn: Connection) -> list[str]:
    return list(conn.execute(_WATCHED).scalars())


def claim(conn: Connection, workspace_sid: str, owner: str, now_ms: int, until_ms: int) -> Any:
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
    return conn.execute(
        select(callback_cursors).where(callback_cursors.c.workspace_sid == workspace_sid)
    ).first()


def target(conn: Connection, workspace_sid: str) -> Any:
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
    return conn.execute(query).first()


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


def get(conn: Connection, workspace_sid: str) -> Any:
    return conn.execute(
        select(callback_cursors).where(callback_cursors.c.workspace_sid == workspace_sid)
    ).first()


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
