"""A simulated contact centre: a week of TaskRouter events as a Twilio account would send them.

Voice and chat conversations arrive through the day (busier mid-morning and mid-afternoon, quiet
at night and at weekends), wait in a queue, ring an agent who accepts (sometimes rejects or lets
it time out first), talk, wrap up and complete; some callers hang up in the queue; some calls are
cold-transferred to another queue. Tasks carry custom media of every type. Everything is
deterministic for a given seed, so a demo data set can be rebuilt exactly.

The output is a list of events in TaskRouter's callback form (PascalCase parameters), in time
order, each with its own `Sid` and `TimestampMs`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hindsight.domain.own_site import own_site_url
from hindsight.web.stand_in_pages import stand_in_url

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

QUEUES = (
    ("Sales", "voice"),
    ("Support", "voice"),
    ("Billing", "voice"),
    ("Chat Support", "chat"),
)
AGENTS = (
    ("Alice Moreau", "Team A"),
    ("Bilal Haddad", "Team A"),
    ("Chen Wei", "Team A"),
    ("Dana Kowalski", "Team B"),
    ("Emeka Obi", "Team B"),
    ("Freya Lind", "Team B"),
    ("Gustavo Reis", "Team C"),
    ("Hana Sato", "Team C"),
)
OUTCOMES = ("resolved", "follow-up", "escalated", "sale", "no-sale")


def _sid(prefix: str, rng: random.Random) -> str:
    return prefix + "".join(rng.choice("0123456789abcdef") for _ in range(32))


@dataclass
class Centre:
    account_sid: str
    workspace_sid: str
    workspace_name: str = "Demo Contact Centre"
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def __post_init__(self) -> None:
        self.queues = {name: (_sid("WQ", self.rng), channel) for name, channel in QUEUES}
        self.workflow = _sid("WW", self.rng)
        self.channels = {"voice": _sid("TC", self.rng), "chat": _sid("TC", self.rng)}
        self.agents = [
            {
                "sid": _sid("WK", self.rng),
                "name": name,
                "attributes": json.dumps(
                    {"full_name": name, "team_name": team, "team_id": team.replace(" ", "-")}
                ),
            }
            for name, team in AGENTS
        ]
        self.activities = {"Available": _sid("WA", self.rng), "Offline": _sid("WA", self.rng)}


def arrivals_per_hour(hour: int, weekday: int) -> float:
    """Mean arrivals by hour of day: two peaks on weekdays, a trickle at weekends."""
    if weekday >= 5:
        return 2.0 if 9 <= hour < 17 else 0.2
    if hour < 7 or hour >= 21:
        return 0.5
    return 14.0 if hour in (10, 11, 14, 15) else 8.0


def _media(rng: random.Random, centre: Centre, channel: str, n: int, start_ms: int) -> list:
    """A task's custom media: every type turns up somewhere in the week."""
    choice = n % 6
    if channel == "chat":
        return [
            {"type": "ChatTranscript", "sid": _sid("CH", rng), "title": "Chat"},
            {"type": "Referenced", "url": stand_in_url("case", str(n)), "title": "Case"},
        ]
    recording = {
        "type": "VoiceRecording",
        # A placeholder: the demo puts a held recording in its place (held_media.py).
        "url": own_site_url(f"/api/v1/recordings/RE{n:032x}"),
        "start_time": start_ms,
        "channels": ["customer", "others"],
        "title": "Call recording",
    }
    if choice == 0:
        return [
            recording,
            {
                "type": "Embedded",
                "url": stand_in_url("crm", str(n)),
                "title": "Customer record",
            },
        ]
    if choice == 1:
        return [
            {"type": "Raw", "url": stand_in_url("qa", str(n)), "title": "QA tool"},
            recording,
        ]
    if choice == 2:
        return [
            recording,
            {"type": "Referenced", "url": stand_in_url("ticket", f"T-{n}"), "title": "Ticket"},
        ]
    return [recording]


class Emitter:
    """Builds callback-form events for one task's life."""

    def __init__(self, centre: Centre, rng: random.Random) -> None:
        self.centre = centre
        self.rng = rng
        self.events: list[dict[str, str]] = []

    def emit(self, event_type: str, at_ms: int, resource_sid: str, **fields: Any) -> None:
        form = {
            "Sid": _sid("EV", self.rng),
            "EventType": event_type,
            "AccountSid": self.centre.account_sid,
            "WorkspaceSid": self.centre.workspace_sid,
            "WorkspaceName": self.centre.workspace_name,
            "ResourceType": event_type.split(".", 1)[0].replace("-", "_"),
            "ResourceSid": resource_sid,
            "EventDescription": f"{event_type} {resource_sid}",
            "Timestamp": str(at_ms // 1000),
            "TimestampMs": str(at_ms),
        }
        form.update({k: str(v) for k, v in fields.items() if v is not None})
        self.events.append(form)


def _task_fields(task: dict[str, Any], status: str, at_ms: int) -> dict[str, Any]:
    return {
        "TaskSid": task["sid"],
        "TaskAttributes": json.dumps(task["attributes"]),
        "TaskAge": (at_ms - task["created"]) // 1000,
        "TaskPriority": 0,
        "TaskAssignmentStatus": status,
        "TaskChannelSid": task["channel_sid"],
        "TaskChannelUniqueName": task["channel"],
        "TaskQueueSid": task["queue_sid"],
        "TaskQueueName": task["queue"],
        "WorkflowSid": task["workflow_sid"],
        "WorkflowName": "Main",
    }


def _worker_fields(agent: dict[str, str]) -> dict[str, str]:
    return {
        "WorkerSid": agent["sid"],
        "WorkerName": agent["name"],
        "WorkerAttributes": agent["attributes"],
    }


def simulate_task(
    e: Emitter, task: dict[str, Any], start_ms: int, rng: random.Random, *, abandon: bool
) -> int:
    """One task's events from creation to its end; returns when it ended."""
    t = start_ms
    e.emit("task.created", t, task["sid"], **_task_fields(task, "pending", t))
    e.emit("task-queue.entered", t, task["sid"], **_task_fields(task, "pending", t))
    wait = int(rng.expovariate(1 / 45_000)) + 2_000
    if abandon:
        t += wait * 3
        e.emit(
            "task.canceled",
            t,
            task["sid"],
            **_task_fields(task, "canceled", t),
            TaskCanceledReason="hangup",
        )
        return t
    t += wait
    agents = rng.sample(e.centre.agents, 2)
    if rng.random() < 0.12:  # the first agent rejects or lets it ring out
        reservation, agent = _sid("WR", rng), agents[1]
        fields = {
            **_task_fields(task, "reserved", t),
            **_worker_fields(agent),
            "ReservationSid": reservation,
        }
        e.emit("reservation.created", t, reservation, **fields)
        t += rng.randint(4_000, 20_000)
        ending = "reservation.rejected" if rng.random() < 0.5 else "reservation.timeout"
        e.emit(ending, t, reservation, **{**fields, **_task_fields(task, "pending", t)})
        t += rng.randint(2_000, 15_000)
    reservation, agent = _sid("WR", rng), agents[0]
    fields = {**_worker_fields(agent), "ReservationSid": reservation}
    e.emit("reservation.created", t, reservation, **_task_fields(task, "reserved", t), **fields)
    t += rng.randint(3_000, 12_000)
    e.emit("reservation.accepted", t, reservation, **_task_fields(task, "assigned", t), **fields)
    t += int(rng.lognormvariate(12.2, 0.6))  # talk: a few minutes, sometimes long
    e.emit("task.wrapup", t, task["sid"], **_task_fields(task, "wrapping", t))
    e.emit("reservation.wrapup", t, reservation, **_task_fields(task, "wrapping", t), **fields)
    t += rng.randint(10_000, 90_000)
    task["attributes"]["conversations"]["outcome"] = rng.choice(OUTCOMES)
    completed = _task_fields(task, "completed", t)
    e.emit(
        "task.completed",
        t,
        task["sid"],
        **completed,
        TaskCompletedReason=task["attributes"]["conversations"]["outcome"],
    )
    e.emit("reservation.completed", t, reservation, **completed, **fields)
    return t


def week(
    account_sid: str, workspace_sid: str, end_ms: int, days: int = 7, seed: int = 7
) -> Iterator[dict[str, str]]:
    """A week (or `days`) of events ending at `end_ms`, in time order."""
    rng = random.Random(seed)
    centre = Centre(account_sid, workspace_sid, rng=random.Random(seed + 1))
    emitter = Emitter(centre, rng)
    start = end_ms - days * DAY_MS
    start -= start % HOUR_MS
    n = 0
    for hour_start in range(start, end_ms - HOUR_MS, HOUR_MS):
        hours = (hour_start // HOUR_MS) % 24
        weekday = ((hour_start // DAY_MS) + 3) % 7  # 1970-01-01 was a Thursday
        for _ in range(_poisson(rng, arrivals_per_hour(hours, weekday))):
            n += 1
            queue = rng.choice(QUEUES)
            at = hour_start + rng.randint(0, HOUR_MS - 1)
            task = _new_task(centre, rng, queue, n, at)
            abandon = rng.random() < 0.08
            ended = simulate_task(emitter, task, at, rng, abandon=abandon)
            if not abandon and queue[1] == "voice" and rng.random() < 0.07:
                _transfer(centre, emitter, rng, task, ended, n)
    _shifts(centre, emitter, rng, start, end_ms)
    yield from sorted(emitter.events, key=lambda f: int(f["TimestampMs"]))


def _shifts(centre: Centre, emitter: Emitter, rng: random.Random, start: int, end: int) -> None:
    """Agents sign in around 08:00 and out around 17:00 on weekdays (Agent Status segments)."""
    for day_start in range(start - start % DAY_MS, end, DAY_MS):
        if ((day_start // DAY_MS) + 3) % 7 >= 5:
            continue
        for agent in centre.agents:
            on = day_start + 8 * HOUR_MS + rng.randint(-900_000, 900_000)
            off = day_start + 17 * HOUR_MS + rng.randint(-900_000, 900_000)
            for at, now, before, since in (
                (on, "Available", "Offline", on - (day_start - 7 * HOUR_MS)),
                (off, "Offline", "Available", off - on),
            ):
                if start <= at < end:
                    emitter.emit(
                        "worker.activity.update",
                        at,
                        agent["sid"],
                        **_worker_fields(agent),
                        WorkerActivitySid=centre.activities[now],
                        WorkerActivityName=now,
                        WorkerPreviousActivitySid=centre.activities[before],
                        WorkerPreviousActivityName=before,
                        WorkerTimeInPreviousActivity=since // 1000,
                        WorkerTimeInPreviousActivityMs=since,
                    )


def _new_task(
    centre: Centre, rng: random.Random, queue: tuple[str, str], n: int, at: int
) -> dict[str, Any]:
    name, channel = queue
    sid = _sid("WT", rng)
    attributes: dict[str, Any] = {
        "direction": "inbound",
        "from": f"+1555{rng.randint(1_000_000, 9_999_999)}",
        "customers": {"name": rng.choice(("J. Smith", "M. Garcia", "A. Khan", "L. Chen"))},
        "conversations": {
            "conversation_id": sid,
            "conversation_attribute_1": rng.choice(("gold", "silver", "bronze")),
            "media": _media(rng, centre, channel, n, at),
        },
    }
    if channel == "chat":
        attributes["channelSid"] = attributes["conversations"]["media"][0]["sid"]
    return {
        "sid": sid,
        "created": at,
        "queue": name,
        "queue_sid": centre.queues[name][0],
        "channel": channel,
        "channel_sid": centre.channels[channel],
        "workflow_sid": centre.workflow,
        "attributes": attributes,
    }


def _transfer(
    centre: Centre, emitter: Emitter, rng: random.Random, task: dict, ended: int, n: int
) -> None:
    """A cold transfer: a new task in another queue, in the same conversation."""
    target = rng.choice([q for q in QUEUES if q[1] == "voice" and q[0] != task["queue"]])
    follow = _new_task(centre, rng, target, n + 1_000_000, ended)
    follow["attributes"]["conversations"]["conversation_id"] = task["sid"]
    follow["attributes"]["previous_task_sid"] = task["sid"]
    simulate_task(emitter, follow, ended + 1_000, rng, abandon=False)


def _poisson(rng: random.Random, mean: float) -> int:
    count, threshold, product = 0, pow(2.718281828459045, -mean), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count
