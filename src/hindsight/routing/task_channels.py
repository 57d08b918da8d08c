"""Task channels: create (with a worker channel for every worker), fetch, update, delete, list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from hindsight.domain import events as ev
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.names import check_friendly_name, check_unique_name
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.sids import Prefix, new_sid
from hindsight.domain.workspace_template import ChannelCapacity
from hindsight.routing.base import ChildKind, RoutingService, resource_row, workspace_or_404
from hindsight.service_base import Caller
from hindsight.store import task_channels as store
from hindsight.store import workers as worker_store
from hindsight.store.task_channels import TaskChannelRecord as TaskChannelRecord
from hindsight.store.workspaces import WorkspaceRecord

# Found by SID or unique name, as TaskRouter's URLs allow.
TASK_CHANNEL = ChildKind[TaskChannelRecord](
    "TaskChannel",
    "TaskChannels",
    store.get_by_sid_or_name,
    ev.task_channel_fields,
    lambda c: c.unique_name,
    Prefix.TASK_CHANNEL,
)


def worker_channel_rows(
    account_sid: str, ws: str, pairs: list[tuple[str, str]], now: int
) -> list[dict[str, Any]]:
    """Rows for new (worker, task channel) pairs, at the default capacity."""
    default = ChannelCapacity()
    return [
        resource_row(
            new_sid(Prefix.WORKER_CHANNEL),
            account_sid,
            ws,
            now,
            worker_sid=worker_sid,
            task_channel_sid=channel_sid,
            configured_capacity=default.capacity,
            available=default.available,
        )
        for worker_sid, channel_sid in pairs
    ]


class TaskChannelService(RoutingService):
    async def create(
        self,
        caller: Caller,
        ws: str,
        friendly_name: str,
        unique_name: str,
        channel_optimized_routing: bool | None,
    ) -> TaskChannelRecord:
        check_friendly_name(friendly_name)
        check_unique_name(unique_name)

        def insert(conn: Connection, workspace: WorkspaceRecord, row: dict[str, Any]) -> None:
            if store.get_by_sid_or_name(conn, ws, unique_name) is not None:
                raise InvalidParameter(
                    f"TaskChannel with UniqueName {unique_name} already exists for workspace "
                    f"{ws} for account {caller.account_sid}"
                )
            store.insert_channel(conn, row)
            pairs = [(w, row["sid"]) for w in worker_store.worker_sids(conn, ws)]
            worker_store.insert_channels(
                conn, worker_channel_rows(caller.account_sid, ws, pairs, row["date_created"])
            )

        values = {
            "friendly_name": friendly_name,
            "unique_name": unique_name,
            "channel_optimized_routing": channel_optimized_routing,
        }
        return await self._create_kind(caller, ws, TASK_CHANNEL, values, insert)

    async def fetch(self, caller: Caller, ws: str, key: str) -> TaskChannelRecord:
        return await self._fetch_kind(caller, ws, TASK_CHANNEL, key)

    async def list(
        self, caller: Caller, ws: str, page: PageRequest
    ) -> PageResult[TaskChannelRecord]:
        query = store.list_query(ws)
        return await self._list_children(caller, ws, query, store.SORT, page, store.record)

    async def update(
        self,
        caller: Caller,
        ws: str,
        key: str,
        friendly_name: str | None,
        channel_optimized_routing: bool | None,
    ) -> TaskChannelRecord:
        if friendly_name is not None:
            check_friendly_name(friendly_name)
        now = self._clock.now_ms()
        values: dict[str, Any] = {}
        if friendly_name is not None:
            values["friendly_name"] = friendly_name
        if channel_optimized_routing is not None:
            values["channel_optimized_routing"] = channel_optimized_routing

        def unit(conn: Connection) -> TaskChannelRecord:
            workspace = workspace_or_404(conn, caller, ws)
            row = TASK_CHANNEL.find(conn, ws, key)
            if not values:
                return row
            store.update_channel(conn, row.sid, {**values, "date_updated": now})
            return TASK_CHANNEL.announce(
                conn, workspace, caller, now, row.sid, "task-channel.updated", "updated"
            )

        return await self._write(ws, unit)

    async def delete(self, caller: Caller, ws: str, key: str) -> None:
        def remove(conn: Connection, row: TaskChannelRecord) -> None:
            active = store.active_task_count(conn, row.sid)
            if active:
                raise InvalidParameter(
                    f"TaskChannel {row.unique_name} cannot be deleted: {active} active task(s) "
                    "use it"
                )
            store.delete_channel(conn, row.sid)

        await self._delete_kind(caller, ws, TASK_CHANNEL, key, remove)
