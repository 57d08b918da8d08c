"""A small scripted contact centre for the Insights read tests, built through the TaskRouter API.

Account A gets five conversations, oldest first:

    conv-1  Sales, Alice, voice, inbound, handled, media [Raw, VoiceRecording] (opens externally)
    conv-2  Support, Bob, chat, inbound, handled, media of every type, more media attached late
            -- `middle_ms` is taken here --
    conv-3  Overflow (no agent can take it), voice, canceled in queue: abandoned
    conv-4  two tasks: Sales with Alice, then Support with Bob (a transfer: 4 segments)
    conv-5  Support, Bob, accepted and not finished: in progress

Talk and wrap-up times are set through `conversations.*_time` (so they are exact); queue times
are measured. Account B has a conversation also called conv-1, and conv-b; both carry the word
"zebra", which A must never see.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from twilio.rest import Client

from hindsight.auth.accounts import IssuedAccount
from tests.api.helpers_routing import Floor, floor, ms_tick
from tests.support.server import RunningServer
from tests.support.twilio_client import client_for
from tests.support.waiting import wait_for

CRM_URL = "https://crm.example.com/case/1"
RECORDING_1 = "https://recordings.example.com/1.wav"
RECORDING_2 = "https://recordings.example.com/2.wav"
LATE_URL = "https://notes.example.com/late"
TRANSCRIPT = "CH" + "a" * 32
CONVERSATIONS = ("conv-1", "conv-2", "conv-3", "conv-4", "conv-5")


@dataclass
class Party:
    """One account with its client and the SIDs of what was scripted in it."""

    account: IssuedAccount
    client: Client
    floor: Floor | None = None
    workspace_sid: str = ""
    tasks: dict[str, str] = field(default_factory=dict)
    reservations: dict[str, str] = field(default_factory=dict)
    workers: dict[str, str] = field(default_factory=dict)

    @property
    def auth(self) -> tuple[str, str]:
        return (self.account.sid, self.account.auth_token)


@dataclass
class Dataset:
    server: RunningServer
    a: Party
    b: Party
    start_ms: int
    middle_ms: int
    end_ms: int

    def get(self, path: str, party: Party | None = None, **params: Any) -> httpx.Response:
        """GET an Insights API path as account A (or `party`)."""
        who = party or self.a
        return httpx.get(f"{self.server.base_url}{path}", params=params, auth=who.auth, timeout=30)

    def ok(self, path: str, party: Party | None = None, **params: Any) -> Any:
        response = self.get(path, party, **params)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        return response.json()

    def search(self, **params: Any) -> list[str]:
        """The conversation ids a search finds (every page), in the order listed."""
        found: list[str] = []
        token = None
        while True:
            page = self.ok(
                "/api/v1/insights/conversations",
                **params,
                **({"page_token": token} if token else {}),
            )
            found += [c["conversation_id"] for c in page["conversations"]]
            token = page["meta"]["next_page_token"]
            if token is None:
                return found


def _routing_floor(client: Client) -> tuple[Floor, str]:
    f = floor(client, "Insights")
    queues = {
        name: f.queue(name, target_workers=f"team == '{team}'").sid
        for name, team in (("Sales", "sales"), ("Support", "support"), ("Overflow", "nobody"))
    }
    workflow = f.workflow(
        "By type",
        filters=[
            {
                "filter_friendly_name": name,
                "expression": f"type == '{name.lower()}'",
                "targets": [{"queue": sid}],
            }
            for name, sid in queues.items()
        ],
    )
    return f, workflow.sid


def _offer(f: Floor, workflow: str, channel: str, attributes: dict[str, Any]) -> tuple[Any, Any]:
    task = f.api.tasks.create(
        workflow_sid=workflow, attributes=json.dumps(attributes), task_channel=channel
    )
    reservation = f.pending_one(task.sid)
    f.answer(reservation, reservation_status="accepted")
    return task, reservation


def _handle(
    f: Floor, workflow: str, channel: str, reason: str, attributes: dict[str, Any]
) -> tuple[Any, Any]:
    task, reservation = _offer(f, workflow, channel, attributes)
    f.api.tasks(task.sid).update(assignment_status="wrapping")
    f.api.tasks(task.sid).update(assignment_status="completed", reason=reason)
    return task, reservation


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def conv2_attributes(late: bool) -> dict[str, Any]:
    media: list[dict[str, Any]] = [
        {"type": "VoiceRecording", "url": RECORDING_2, "title": "Call"},
        {"type": "Raw", "url": CRM_URL},
        {"type": "Embedded", "url": "https://embed.example.com/2"},
        {"type": "Referenced", "url": "https://docs.example.com/2"},
        {"type": "ChatTranscript", "sid": TRANSCRIPT},
    ]
    if late:
        media.append({"type": "Referenced", "url": LATE_URL, "title": "Late note"})
    return {
        "type": "support",
        "direction": "inbound",
        "conversations": {
            "conversation_id": "conv-2",
            "talk_time": 120,
            "wrap_up_time": 20,
            "conversation_attribute_1": "silver",
            "media": media,
        },
        "customers": {"name": "Grace Hopper"},
    }


def _script_a(a: Party) -> tuple[int, int, int]:
    f, workflow = _routing_floor(a.client)
    a.floor, a.workspace_sid = f, f.sid
    a.workers["Alice"] = f.worker(
        "Alice", team="sales", phone="+15550100", team_name="Team A", full_name="Alice Archer"
    ).sid
    a.workers["Bob"] = f.worker("Bob", team="support").sid
    start = _now_ms()
    ms_tick()
    task, reservation = _handle(
        f,
        workflow,
        "voice",
        "resolved",
        {
            "type": "sales",
            "direction": "inbound",
            "from": "+15551110001",
            "conversations": {
                "conversation_id": "conv-1",
                "talk_time": 60,
                "wrap_up_time": 10,
                "conversation_attribute_1": "gold",
                "segment_recording_offset": 5,
                "media": [
                    {"type": "Raw", "url": CRM_URL, "title": "CRM"},
                    {"type": "VoiceRecording", "url": RECORDING_1},
                ],
            },
            "customers": {"name": "Ada Lovelace", "phone": "+15551110001"},
        },
    )
    a.tasks["conv-1"], a.reservations["conv-1"] = task.sid, reservation.sid
    task, reservation = _handle(f, workflow, "chat", "escalated", conv2_attributes(late=False))
    a.tasks["conv-2"], a.reservations["conv-2"] = task.sid, reservation.sid
    f.api.tasks(task.sid).update(attributes=json.dumps(conv2_attributes(late=True)))
    ms_tick()
    middle = _now_ms()
    ms_tick()
    task = f.api.tasks.create(
        workflow_sid=workflow,
        attributes=json.dumps({"type": "overflow", "conversations": {"conversation_id": "conv-3"}}),
        task_channel="voice",
    )
    f.wait_task_events(task.sid, "task-queue.entered")
    f.api.tasks(task.sid).update(assignment_status="canceled", reason="caller hung up")
    a.tasks["conv-3"] = task.sid
    for step, (kind, talk, wrap, reason) in enumerate(
        (("sales", 30, 5, "transferred"), ("support", 40, 0, "resolved"))
    ):
        task, reservation = _handle(
            f,
            workflow,
            "voice",
            reason,
            {
                "type": kind,
                "conversations": {
                    "conversation_id": "conv-4",
                    "talk_time": talk,
                    "wrap_up_time": wrap,
                },
            },
        )
        a.tasks[f"conv-4.{step}"], a.reservations[f"conv-4.{step}"] = task.sid, reservation.sid
    task, reservation = _offer(
        f, workflow, "voice", {"type": "support", "conversations": {"conversation_id": "conv-5"}}
    )
    a.tasks["conv-5"], a.reservations["conv-5"] = task.sid, reservation.sid
    ms_tick()
    return start, middle, _now_ms()


def _script_b(b: Party) -> None:
    f, workflow = _routing_floor(b.client)
    b.floor, b.workspace_sid = f, f.sid
    b.workers["Mallory"] = f.worker("Mallory", team="sales").sid
    for conversation in ("conv-1", "conv-b"):
        task, reservation = _handle(
            f,
            workflow,
            "voice",
            "resolved",
            {
                "type": "sales",
                "direction": "inbound",
                "conversations": {
                    "conversation_id": conversation,
                    "talk_time": 999,
                    "conversation_attribute_1": "zebra",
                    "media": [{"type": "Raw", "url": "https://secret.example.com/b"}],
                },
                "customers": {"name": "Zebra Customer"},
            },
        )
        b.tasks[conversation], b.reservations[conversation] = task.sid, reservation.sid


def new_party(server: RunningServer, name: str) -> Party:
    account = server.new_account(name)
    client = client_for(server.base_url, account.sid, account.auth_token)
    client.flex_api.base_url = server.base_url
    return Party(account=account, client=client)


def build(server: RunningServer) -> Dataset:
    a, b = new_party(server, "insights-a"), new_party(server, "insights-b")
    start, middle, end = _script_a(a)
    _script_b(b)
    data = Dataset(server=server, a=a, b=b, start_ms=start, middle_ms=middle, end_ms=end)

    def projected() -> bool:
        found = data.ok("/api/v1/insights/conversations", page_size=10)["conversations"]
        by_id = {c["conversation_id"]: c for c in found}
        if set(by_id) != set(CONVERSATIONS):
            return False
        conv2 = data.ok("/api/v1/insights/conversations/conv-2")
        others = data.ok("/api/v1/insights/conversations", b, page_size=10)["conversations"]
        return (
            by_id["conv-5"]["in_progress"]
            and by_id["conv-3"]["abandoned"]
            and by_id["conv-4"]["segment_count"] == 4
            and conv2["late_media"]
            and len(others) == 2
        )

    wait_for(projected, "the scripted conversations projected")
    return data
