"""Helpers for the Tasks, task-list, Events, bad-input and concurrency tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
from sqlalchemy import select, update
from twilio.rest import Client

from hindsight.store.schema import events as events_table
from hindsight.store.schema import tasks as tasks_table
from tests.support.server import RunningServer
from tests.support.twilio_client import ContractCheckingHttpClient, client_for

T = TypeVar("T")

ERROR_BODY_KEYS = {"code", "message", "more_info", "status"}
MAX_PRIORITY = 2**31 - 1
MAX_TIMEOUT = 1_209_600
ATTRIBUTES_LIMIT = 16 * 1024

# What creating a task with a workflow logs, oldest first: the creation, then routing placing
# the task in its workflow's first target (all in the creating request's transaction).
WORKFLOW_ROUTING = ["workflow.entered", "workflow.target-matched", "task-queue.entered"]
ENTERED_WORKFLOW = ["task.created", *WORKFLOW_ROUTING]

# Well-formed SIDs that name nothing on any server.
NO_TASK = "WT" + "0" * 32
NO_WORKSPACE = "WS" + "0" * 32


def ws_api(client: Client, workspace_sid: str) -> Any:
    """The helper library's context for one workspace's child resources."""
    return client.taskrouter.v1.workspaces(workspace_sid)


def fifo_workspace(client: Client, name: str = "Tasks") -> Any:
    """A workspace with exactly one workflow (and its queue), so WorkflowSid is optional."""
    return client.taskrouter.v1.workspaces.create(friendly_name=name, template="FIFO")


def only_workflow(api: Any) -> Any:
    (workflow,) = api.workflows.list()
    return workflow


def only_queue(api: Any) -> Any:
    (queue,) = api.task_queues.list()
    return queue


def add_workflow(api: Any, name: str, queue_sid: str) -> Any:
    configuration = json.dumps({"task_routing": {"default_filter": {"queue": queue_sid}}})
    return api.workflows.create(friendly_name=name, configuration=configuration)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A response header, looked up case-insensitively."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def etag_of(api: Any, task_sid: str) -> str:
    response = api.tasks(task_sid).fetch_with_http_info()
    etag = header(response.headers, "ETag")
    assert etag, response.headers
    return etag


def set_task_columns(server: RunningServer, task_sid: str, **values: Any) -> None:
    """Write task columns directly through the store, for states the API cannot reach yet."""

    def unit(conn: Any) -> None:
        result = conn.execute(
            update(tasks_table).where(tasks_table.c.sid == task_sid).values(**values)
        )
        assert result.rowcount == 1

    server.runtime.db.write_sync(unit)


def force_status(server: RunningServer, task_sid: str, status: str) -> None:
    """Put a task in `status` as routing would (reservations do not exist yet)."""
    set_task_columns(server, task_sid, assignment_status=status)


def set_event_date(server: RunningServer, event_sid: str, event_date_ms: int) -> None:
    def unit(conn: Any) -> None:
        result = conn.execute(
            update(events_table)
            .where(events_table.c.sid == event_sid)
            .values(event_date_ms=event_date_ms)
        )
        assert result.rowcount == 1

    server.runtime.db.write_sync(unit)


def logged_events(server: RunningServer, workspace_sid: str) -> list[Any]:
    """The workspace's log as stored, in `seq` order."""
    query = (
        select(events_table)
        .where(events_table.c.workspace_sid == workspace_sid)
        .order_by(events_table.c.seq)
    )
    return server.runtime.db.read_sync(lambda conn: list(conn.execute(query)))


def lifecycle(events: list[Any]) -> list[Any]:
    """Only the task lifecycle events (`task.*`), without what routing logged about the task."""
    return [e for e in events if e.event_type.startswith("task.")]


def events_newest_first(api: Any, **filters: Any) -> list[Any]:
    return list(api.events.list(**filters))


def key_client(server: RunningServer, key_sid: str, secret: str, account_sid: str) -> Client:
    """A helper-library client that authenticates with an API key, as Twilio documents."""
    client = Client(key_sid, secret, account_sid, http_client=ContractCheckingHttpClient())
    client.taskrouter.base_url = server.base_url
    client.api.base_url = server.base_url
    return client


def stranger(server: RunningServer) -> Client:
    """A client for a second, unrelated account on the same server."""
    other = server.new_account("stranger")
    return client_for(server.base_url, other.sid, other.auth_token)


def http(server: RunningServer, account: Any) -> httpx.Client:
    """A raw HTTP client with the account's Basic credentials, for what the helper cannot send."""
    return httpx.Client(base_url=server.base_url, auth=(account.sid, account.auth_token))


def assert_twilio_error(response: httpx.Response, status: int, code: int | None = None) -> dict:
    """The response is Twilio's error body, exactly, with `status` matching the HTTP status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == ERROR_BODY_KEYS, body
    assert body["status"] == status, body
    assert isinstance(body["message"], str) and body["message"], body
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}", body
    if code is not None:
        assert body["code"] == code, body
    return body
