"""Reading the event log through the Events resource."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.routing.base import RoutingService, workspace_or_404
from hindsight.service_base import Caller
from hindsight.store import events as store
from hindsight.store import task_channels as channel_store
from hindsight.store.events import EventRecord as EventRecord
from hindsight.store.keyset import fetch_page

DEFAULT_MINUTES = 15


@dataclass(frozen=True)
class EventFilters:
    start_ms: int | None = None
    end_ms: int | None = None
    minutes: int | None = None
    event_type: str | None = None
    task_sid: str | None = None
    worker_sid: str | None = None
    reservation_sid: str | None = None
    task_queue_sid: str | None = None
    workflow_sid: str | None = None
    task_channel: str | None = None
    sid: str | None = None


def time_window(filters: EventFilters, now_ms: int) -> tuple[int, int | None]:
    """The [start, end] of events to list.

    `Minutes` counts back from now. With neither Minutes nor StartDate the window is the last
    15 minutes, as TaskRouter does, unless an EndDate is given: then everything up to it.
    Unlike TaskRouter, the log is kept, so any StartDate works.
    """
    if filters.minutes is not None and filters.start_ms is not None:
        raise InvalidParameter("Give either Minutes or StartDate, not both")
    if filters.start_ms is not None:
        start = filters.start_ms
    elif filters.minutes is None and filters.end_ms is not None:
        start = 0
    else:
        # The log holds nothing before the epoch; clamping keeps a huge Minutes within the
        # databases' 64-bit integers.
        start = max(0, now_ms - (filters.minutes or DEFAULT_MINUTES) * 60_000)
    if filters.end_ms is not None and filters.end_ms < start:
        raise InvalidParameter("EndDate is before the start of the window")
    return start, filters.end_ms


class EventService(RoutingService):
    async def fetch(self, caller: Caller, ws: str, sid: str) -> EventRecord:
        return await self._fetch_child(
            caller, ws, lambda conn: store.get(conn, ws, sid), f"/Workspaces/{ws}/Events/{sid}"
        )

    async def list(
        self, caller: Caller, ws: str, filters: EventFilters, page: PageRequest
    ) -> PageResult[EventRecord]:
        start, end = time_window(filters, self._clock.now_ms())
        equal = {
            column: value
            for column, value in (
                ("event_type", filters.event_type),
                ("task_sid", filters.task_sid),
                ("worker_sid", filters.worker_sid),
                ("reservation_sid", filters.reservation_sid),
                ("task_queue_sid", filters.task_queue_sid),
                ("workflow_sid", filters.workflow_sid),
                ("sid", filters.sid),
            )
            if value is not None
        }

        def unit(conn: Connection) -> PageResult[EventRecord]:
            workspace_or_404(conn, caller, ws)
            selected = equal
            if filters.task_channel is not None:
                # Events record the channel's unique name; a TC SID names the same channel.
                channel = channel_store.get_by_sid_or_name(conn, ws, filters.task_channel)
                name = channel.unique_name if channel is not None else filters.task_channel
                selected = {**equal, "task_channel": name}
            query = store.list_query(ws, store.EventQuery(start, end, selected))
            return fetch_page(conn, query, store.SORT, page, read=store.record)

        return await self._scan(unit)
