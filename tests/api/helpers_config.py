"""Helpers shared by the TaskRouter configuration-resource tests (workspaces, activities, ...)."""

from __future__ import annotations

import json
from typing import Any

from twilio.rest import Client

from tests.support.server import RunningServer
from tests.support.twilio_client import client_for

# Well-formed SIDs that name nothing on any server.
MISSING = {
    "WS": "WS" + "0" * 32,
    "WA": "WA" + "0" * 32,
    "WQ": "WQ" + "0" * 32,
    "WW": "WW" + "0" * 32,
    "WK": "WK" + "0" * 32,
    "TC": "TC" + "0" * 32,
    "WC": "WC" + "0" * 32,
}


def ws_api(client: Client, workspace_sid: str) -> Any:
    """The workspace context of the helper library, for its child resources."""
    return client.taskrouter.v1.workspaces(workspace_sid)


def events(client: Client, workspace_sid: str, event_type: str | None = None, **filters: Any):
    """Events of the workspace's log (last 15 minutes), oldest first."""
    if event_type is not None:
        filters["event_type"] = event_type
    found = ws_api(client, workspace_sid).events.list(**filters)
    return sorted(found, key=lambda e: (e.event_date_ms, e.sid))


def event_types(client: Client, workspace_sid: str, **filters: Any) -> list[str]:
    return [e.event_type for e in events(client, workspace_sid, **filters)]


def single_event(client: Client, workspace_sid: str, event_type: str, resource_sid: str) -> Any:
    matching = [
        e for e in events(client, workspace_sid, event_type) if e.resource_sid == resource_sid
    ]
    assert len(matching) == 1, [e.event_type for e in matching]
    return matching[0]


def routing_to(queue_sid: str, expression: str = "1==1") -> str:
    """A workflow configuration with one filter and a default, both to `queue_sid`."""
    return json.dumps(
        {
            "task_routing": {
                "filters": [
                    {
                        "filter_friendly_name": "everything",
                        "expression": expression,
                        "targets": [{"queue": queue_sid}],
                    }
                ],
                "default_filter": {"queue": queue_sid},
            }
        }
    )


def stranger_client(server: RunningServer) -> Client:
    """A client for a second, unrelated account on the same server."""
    other = server.new_account("stranger")
    return client_for(server.base_url, other.sid, other.auth_token)


def activity_sid(client: Client, workspace_sid: str, name: str) -> str:
    (activity,) = ws_api(client, workspace_sid).activities.list(friendly_name=name)
    return activity.sid


def statuses(client: Client) -> list[int]:
    """HTTP statuses of every response the client has received, in order."""
    return [status for _method, _path, status in client.http_client.responses]
