"""Another account's resources do not exist for a caller: TaskRouter use cases and user
management answer another tenant's SID exactly as a SID that names nothing, and change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hindsight.app import Runtime
from hindsight.audit.trail import operator
from hindsight.auth.accounts import Principal
from hindsight.auth.users import UserChanges
from hindsight.domain.access import Scope, Viewer
from hindsight.domain.errors import NotFound
from hindsight.domain.paging import PageRequest
from hindsight.routing.tasks import NewTask, TaskFilters, sort_keys
from hindsight.routing.workspaces import NewWorkspace, WorkspaceChanges
from hindsight.service_base import Caller
from hindsight.store.users import UserRecord

NOWHERE = "WS" + "0" * 32


def _caller(runtime: Runtime, name: str) -> Caller:
    account = runtime.services.accounts.create_account(name)
    return Caller(Principal(account.sid, account.sid), ip="10.0.0.1")


def _run(work: Awaitable[Any]) -> Any:
    async def wait() -> Any:
        return await work

    return asyncio.run(wait())


def _not_found(work: Callable[[str], Awaitable[Any]], sid: str) -> str:
    with pytest.raises(NotFound) as caught:
        _run(work(sid))
    return str(caught.value).replace(sid, "<sid>")


def test_another_accounts_workspace_is_answered_as_one_that_does_not_exist(
    runtime: Runtime,
) -> None:
    workspaces, tasks = runtime.services.workspaces, runtime.services.tasks
    owner, stranger = _caller(runtime, "Owner"), _caller(runtime, "Stranger")
    mine = _run(workspaces.create(owner, NewWorkspace("Mine", template="FIFO")))

    uses: dict[str, Callable[[str], Awaitable[Any]]] = {
        "fetch": lambda sid: workspaces.fetch(stranger, sid),
        "update": lambda sid: workspaces.update(
            stranger, sid, WorkspaceChanges(friendly_name="Taken")
        ),
        "delete": lambda sid: workspaces.delete(stranger, sid),
        "create a task": lambda sid: tasks.create(stranger, sid, NewTask(attributes="{}")),
    }
    for use, work in uses.items():
        assert _not_found(work, mine.sid) == _not_found(work, NOWHERE), use

    listed = _run(workspaces.list(stranger, None, PageRequest(size=50)))
    assert [w.sid for w in listed.rows] == []
    # The owner's workspace is untouched, and still has no tasks.
    kept = _run(workspaces.fetch(owner, mine.sid))
    assert kept.friendly_name == "Mine"
    owned = _run(tasks.list(owner, mine.sid, TaskFilters(), sort_keys(None), PageRequest(50)))
    assert owned.rows == []


def _admin_viewer(runtime: Runtime, account_name: str) -> tuple[Viewer, UserRecord]:
    account = runtime.services.accounts.create_account(account_name)
    name = f"admin-{account_name.lower()}"
    admin = _run(runtime.services.users.create(operator(account.sid), name, ["admin"]))
    viewer = Viewer.person(
        account_sid=account.sid,
        user_sid=admin.row.sid,
        name=admin.row.username,
        roles=("admin",),
        scope=Scope(),
        ip="10.0.0.1",
        session_id=None,
    )
    return viewer, admin.row


def test_an_admin_cannot_see_or_change_another_accounts_users(runtime: Runtime) -> None:
    users = runtime.services.users
    ours, _ = _admin_viewer(runtime, "Ours")
    _, theirs = _admin_viewer(runtime, "Theirs")
    unknown = "US" + "0" * 32

    def get(sid: str) -> Awaitable[Any]:
        return users.get(ours, sid)

    def update(sid: str) -> Awaitable[Any]:
        return users.update(ours, sid, UserChanges(status="disabled"))

    for work in (get, update):
        assert _not_found(work, theirs.sid) == _not_found(work, unknown)
    assert theirs.sid not in {u.sid for u in _run(users.list(ours))}
    # Their admin is still active.
    assert _run(users.find(theirs.sid)).status == "active"
