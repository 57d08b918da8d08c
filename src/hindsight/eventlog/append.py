"""Appending events to a workspace's log, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from sqlalchemy import Connection

from hindsight.domain.events import Actor, NewEvent, workspace_fields
from hindsight.domain.sids import Prefix, new_sid
from hindsight.store import events as event_store

# Filter columns the Events resource indexes, taken from the event data.
_FILTER_COLUMNS = {
    "task_sid": "task_sid",
    "worker_sid": "worker_sid",
    "reservation_sid": "reservation_sid",
    "task_queue_sid": "task_queue_sid",
    "workflow_sid": "workflow_sid",
    "task_channel": "task_channel_unique_name",
}


class Described(Protocol):
    """What an event says about itself, whether made here (NewEvent) or received from Twilio."""

    @property
    def event_type(self) -> str: ...
    @property
    def resource_type(self) -> str: ...
    @property
    def resource_sid(self) -> str: ...
    @property
    def description(self) -> str: ...


def log_row(
    workspace: Any,
    position: int,
    event: Described,
    data: dict[str, Any],
    *,
    sid: str,
    actor_type: str | None,
    actor_sid: str | None,
    event_date_ms: int,
    source: str,
    source_ip_address: str | None,
) -> dict[str, Any]:
    """The `events` row of `event` at `position` in `workspace`'s log: its data kept as JSON,
    and the columns the Events resource filters on taken from that data."""
    return {
        "sid": sid,
        "account_sid": workspace.account_sid,
        "workspace_sid": workspace.sid,
        "seq": position,
        "event_type": event.event_type,
        "resource_type": event.resource_type,
        "resource_sid": event.resource_sid,
        "actor_type": actor_type,
        "actor_sid": actor_sid,
        "description": event.description,
        "event_data": orjson.dumps(data).decode("utf-8"),
        "event_date_ms": event_date_ms,
        "source": source,
        "source_ip_address": source_ip_address,
        **{column: data.get(key) for column, key in _FILTER_COLUMNS.items()},
    }


@dataclass(frozen=True)
class Origin:
    """Where a change came from, recorded on each event."""

    actor: Actor
    source: str
    ip: str | None = None


def append(
    conn: Connection,
    workspace: Any,
    new_events: Sequence[NewEvent],
    now_ms: int,
    origin: Origin,
) -> list[str]:
    """Append `new_events` in order to the log of `workspace` (a workspaces row)."""
    return append_from(conn, workspace, [(new_events, origin)], now_ms)


def append_from(
    conn: Connection,
    workspace: Any,
    batches: Sequence[tuple[Sequence[NewEvent], Origin]],
    now_ms: int,
) -> list[str]:
    """Append several origins' events in order, with one draw of positions and one insert:
    a request whose change also routed (a task created into its workflow) logs its own events
    and routing's in one go instead of two."""
    count = sum(len(events) for events, _origin in batches)
    if not count:
        return []
    positions = iter(event_store.allocate_positions(conn, count))
    common = workspace_fields(workspace.sid, workspace.friendly_name)
    rows = [
        log_row(
            workspace,
            next(positions),
            event,
            {**event.data, **common},
            sid=new_sid(Prefix.EVENT),
            actor_type=origin.actor.actor_type,
            actor_sid=origin.actor.actor_sid,
            event_date_ms=now_ms if event.at_ms is None else event.at_ms,
            source=origin.source,
            source_ip_address=origin.ip,
        )
        for events, origin in batches
        for event in events
    ]
    event_store.insert_events(conn, rows)
    return [row["sid"] for row in rows]
