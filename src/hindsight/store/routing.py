"""The router's place in each workspace's log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, exists, func, select

from hindsight.store.schema import events, router_cursors, workspaces

_BEHIND = (
    select(workspaces.c.sid, func.coalesce(router_cursors.c.seq, 0).label("seq"))
    .select_from(workspaces)
    .outerjoin(router_cursors, router_cursors.c.workspace_sid == workspaces.c.sid)
    .where(
        exists().where(
            events.c.workspace_sid == workspaces.c.sid,
            events.c.seq > func.coalesce(router_cursors.c.seq, 0),
        ),
        # A mirror of a Twilio account is routed by Twilio; its log is only projected.
        workspaces.c.mirror_source.is_(None),
    )
)
_POSITION = select(router_cursors.c.seq).where(router_cursors.c.workspace_sid == bindparam("ws"))
_SYSTEM_GET = select(workspaces).where(workspaces.c.sid == bindparam("ws"))


def behind(conn: Connection) -> list[Any]:
    """Workspaces with events the router has not acted on yet, and where it stands in each."""
    return list(conn.execute(_BEHIND))


def position(conn: Connection, workspace_sid: str) -> int:
    return int(conn.execute(_POSITION, {"ws": workspace_sid}).scalar() or 0)


def advance(conn: Connection, workspace_sid: str, seq: int) -> None:
    """Move the cursor forward (never back: another process may have gone further)."""
    current = conn.execute(_POSITION, {"ws": workspace_sid}).scalar()
    if current is None:
        conn.execute(router_cursors.insert().values(workspace_sid=workspace_sid, seq=seq))
    elif current < seq:
        conn.execute(
            router_cursors.update()
            .where(router_cursors.c.workspace_sid == workspace_sid)
            .values(seq=seq)
        )


def workspace(conn: Connection, workspace_sid: str) -> Any | None:
    """A workspace read by routing itself, which acts for no particular caller."""
    return conn.execute(_SYSTEM_GET, {"ws": workspace_sid}).first()
