"""Activities: create, fetch, rename, delete (when unused), list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from hindsight.domain import events as ev
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.names import check_friendly_name
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.sids import Prefix
from hindsight.routing.base import ChildKind, RoutingService, workspace_or_404
from hindsight.service_base import Caller
from hindsight.store import activities as store
from hindsight.store.activities import ActivityRecord as ActivityRecord
from hindsight.store.workspaces import WorkspaceRecord

ACTIVITY = ChildKind[ActivityRecord](
    "Activity",
    "Activities",
    store.get,
    ev.activity_fields,
    lambda a: a.friendly_name,
    Prefix.ACTIVITY,
)


def _unique(
    conn: Connection, workspace: WorkspaceRecord, name: str, own_sid: str | None = None
) -> None:
    existing = store.get_by_name(conn, workspace.sid, name)
    if existing is not None and existing.sid != own_sid:
        raise InvalidParameter(
            f"Activity named {name} already exists for workspace {workspace.sid} "
            f"for account {workspace.account_sid}"
        )


class ActivityService(RoutingService):
    async def create(
        self, caller: Caller, ws: str, friendly_name: str, available: bool
    ) -> ActivityRecord:
        check_friendly_name(friendly_name)

        def insert(conn: Connection, workspace: WorkspaceRecord, row: dict[str, Any]) -> None:
            _unique(conn, workspace, friendly_name)
            store.insert_activity(conn, row)

        values = {"friendly_name": friendly_name, "available": available}
        return await self._create_kind(caller, ws, ACTIVITY, values, insert)

    async def fetch(self, caller: Caller, ws: str, sid: str) -> ActivityRecord:
        return await self._fetch_kind(caller, ws, ACTIVITY, sid)

    async def list(
        self,
        caller: Caller,
        ws: str,
        friendly_name: str | None,
        available: bool | None,
        page: PageRequest,
    ) -> PageResult[ActivityRecord]:
        query = store.list_query(ws, friendly_name, available)
        return await self._list_children(caller, ws, query, store.SORT, page, store.record)

    async def rename(
        self, caller: Caller, ws: str, sid: str, friendly_name: str | None
    ) -> ActivityRecord:
        if friendly_name is not None:
            check_friendly_name(friendly_name)
        now = self._clock.now_ms()

        def unit(conn: Connection) -> ActivityRecord:
            workspace = workspace_or_404(conn, caller, ws)
            row = ACTIVITY.find(conn, ws, sid)
            if friendly_name is None or friendly_name == row.friendly_name:
                return row
            _unique(conn, workspace, friendly_name, own_sid=sid)
            store.update_activity(conn, sid, {"friendly_name": friendly_name, "date_updated": now})
            return ACTIVITY.announce(
                conn, workspace, caller, now, sid, "activity.updated", "updated"
            )

        return await self._write(ws, unit)

    async def delete(self, caller: Caller, ws: str, sid: str) -> None:
        def remove(conn: Connection, row: ActivityRecord) -> None:
            uses = store.usage(conn, ws, sid)
            if uses:
                raise InvalidParameter(
                    f"Activity {sid} cannot be deleted while in use: {'; '.join(uses)}"
                )
            store.delete_activity(conn, sid)

        await self._delete_kind(caller, ws, ACTIVITY, sid, remove)
