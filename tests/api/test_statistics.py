"""Statistics resources through the official twilio client, on real routing.

Every response is validated against Twilio's spec by the client fixture. Waits are made exact
by backdating rows through the store (a task's creation, a worker's status clock) instead of
sleeping; counts are asserted exactly, durations to within the second the clock may tick.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from hindsight.store.schema import workers as workers_table
from tests.api.helpers_config import MISSING
from tests.api.helpers_routing import Floor, floor
from tests.api.helpers_tasks import (
    assert_twilio_error,
    http,
    set_event_date,
    set_task_columns,
    stranger,
)
from tests.support.twilio_errors import twilio_error
from tests.support.waiting import wait_for

ZERO_DURATIONS = {"avg": 0, "min": 0, "max": 0, "total": 0}
STATUSES = ("pending", "reserved", "assigned", "wrapping")
RESERVATION_FIGURES = (
    "reservations_created",
    "reservations_accepted",
    "reservations_rejected",
    "reservations_timed_out",
    "reservations_canceled",
    "reservations_rescinded",
)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def backdate_task(server: Any, task_sid: str, created_s: int, entered_s: int | None = None) -> None:
    """Make a task look `created_s` seconds old (and in its queue for `entered_s`)."""
    now = now_ms()
    values = {"date_created": now - created_s * 1000}
    if entered_s is not None:
        values["task_queue_entered_date"] = now - entered_s * 1000
    set_task_columns(server, task_sid, **values)


def backdate_worker_status(server: Any, worker_sid: str, seconds: int) -> None:
    """Make a worker look `seconds` into its current activity."""

    def unit(conn: Any) -> None:
        conn.execute(
            update(workers_table)
            .where(workers_table.c.sid == worker_sid)
            .values(date_status_changed=now_ms() - seconds * 1000)
        )

    server.runtime.db.write_sync(unit)


def about(value: int, expected: int) -> bool:
    """Equal but for the seconds the test itself takes (backdating sets `expected`)."""
    return expected <= value <= expected + 10


def by_name(activity_statistics: list[dict[str, Any]]) -> dict[str, int]:
    return {a["friendly_name"]: a["workers"] for a in activity_statistics}


class Body:
    """What the helper library's bulk call wants: an object with `to_dict()` (sent as JSON)."""

    def __init__(self, **fields: Any) -> None:
        self.fields = fields

    def to_dict(self) -> dict[str, Any]:
        return self.fields


@dataclass
class Scene:
    """A workspace after some routing: see `scene`."""

    floor: Floor
    queue: Any
    other_queue: Any
    workflow: Any
    alice: Any
    bob: Any
    t1: str
    t2: str


def _set_up(server: Any, client: Any) -> Scene:
    """Alice (sales) and Bob (support), both Offline; tasks t1 (100 s old, 50 s in its queue)
    and t2 wait in Sales; the queue Nobody selects no one."""
    f = floor(client, "Statistics")
    queue = f.queue("Sales", target_workers="skill == 'sales'")
    other = f.queue("Nobody", target_workers="1 == 2")
    workflow = f.workflow("Main", default_queue=queue.sid)
    alice = f.worker("Alice", available=False, skill="sales")
    bob = f.worker("Bob", available=False, skill="support")
    t1 = f.task(workflow.sid, n=1).sid
    t2 = f.task(workflow.sid, n=2).sid
    backdate_task(server, t1, created_s=100, entered_s=50)
    return Scene(f, queue, other, workflow, alice, bob, t1, t2)


@pytest.fixture
def scene(server, client) -> Scene:
    """`_set_up`, then: Alice goes Available after 200 s Offline, is offered t1 and accepts
    it, completes it, is offered t2 and rejects it; t2 is then canceled. Bob takes no part."""
    s = _set_up(server, client)
    f = s.floor
    backdate_worker_status(server, s.alice.sid, 200)
    f.set_activity(s.alice.sid, f.available)
    first = f.pending_one(s.t1)
    f.answer(first, reservation_status="accepted")
    f.answer(first, reservation_status="completed")
    second = f.pending_one(s.t2)
    f.answer(second, reservation_status="rejected")
    wait_for(lambda: f.status(s.t2) == "pending", "t2 back to pending")
    f.api.tasks(s.t2).update(assignment_status="canceled", reason="gave up")
    return s


# --- real time -------------------------------------------------------------------------------


def test_real_time_figures_of_waiting_tasks_and_offline_workers(server, client):
    s = _set_up(server, client)
    f, queue, other, workflow, t1 = s.floor, s.queue, s.other_queue, s.workflow, s.t1

    ws = f.api.real_time_statistics().fetch()
    assert ws.workspace_sid == f.sid
    assert ws.account_sid == client.account_sid
    assert ws.url.endswith(f"/v1/Workspaces/{f.sid}/RealTimeStatistics")
    assert ws.tasks_by_status == {"pending": 2, "reserved": 0, "assigned": 0, "wrapping": 0}
    assert ws.tasks_by_priority == {"0": 2}
    assert ws.total_tasks == 2
    assert ws.longest_task_waiting_sid == t1
    assert about(ws.longest_task_waiting_age, 100)
    assert ws.total_workers == 2
    assert by_name(ws.activity_statistics) == {"Offline": 2, "Available": 0, "Unavailable": 0}

    q = f.api.task_queues(queue.sid).real_time_statistics().fetch()
    assert q.task_queue_sid == queue.sid
    assert q.total_tasks == 2
    assert q.total_eligible_workers == 1  # Alice: the queue selects sales
    assert q.total_available_workers == 0
    assert by_name(q.activity_statistics) == {"Offline": 1, "Available": 0, "Unavailable": 0}
    assert q.longest_relative_task_sid_in_queue == t1
    assert about(q.longest_relative_task_age_in_queue, 50)

    empty = f.api.task_queues(other.sid).real_time_statistics().fetch()
    assert (empty.total_tasks, empty.total_eligible_workers) == (0, 0)
    assert empty.longest_task_waiting_sid is None
    assert empty.tasks_by_status == dict.fromkeys(STATUSES, 0)

    wf = f.api.workflows(workflow.sid).real_time_statistics().fetch()
    assert wf.workflow_sid == workflow.sid
    assert wf.total_tasks == 2
    assert wf.longest_task_waiting_sid == t1

    workers = f.api.workers.real_time_statistics().fetch()
    assert workers.total_workers == 2
    assert by_name(workers.activity_statistics)["Offline"] == 2


def test_real_time_figures_follow_routing(server, client):
    s = _set_up(server, client)
    f, queue, workflow, t1, t2 = s.floor, s.queue, s.workflow, s.t1, s.t2
    f.set_activity(s.alice.sid, f.available)
    reservation = f.pending_one(t1)

    q = f.api.task_queues(queue.sid).real_time_statistics().fetch()
    assert q.tasks_by_status == {"pending": 1, "reserved": 1, "assigned": 0, "wrapping": 0}
    assert q.total_available_workers == 1
    assert q.longest_task_waiting_sid == t1  # reserved still waits for an answer

    f.answer(reservation, reservation_status="accepted")
    q = f.api.task_queues(queue.sid).real_time_statistics().fetch()
    assert q.tasks_by_status == {"pending": 1, "reserved": 0, "assigned": 1, "wrapping": 0}
    assert q.total_tasks == 2
    assert q.longest_task_waiting_sid == t2

    f.api.tasks(t1).update(assignment_status="wrapping")
    wf = f.api.workflows(workflow.sid).real_time_statistics().fetch()
    assert wf.tasks_by_status["wrapping"] == 1
    f.api.tasks(t1).update(assignment_status="completed")
    ws = f.api.real_time_statistics().fetch()
    assert ws.tasks_by_status["wrapping"] == 0
    assert by_name(ws.activity_statistics) == {"Offline": 1, "Available": 1, "Unavailable": 0}


# --- cumulative ------------------------------------------------------------------------------


def test_workspace_cumulative_counts_what_routing_logged(scene):
    c = scene.floor.api.cumulative_statistics().fetch(split_by_wait_time="60,3600")
    assert c.url.endswith(f"/v1/Workspaces/{scene.floor.sid}/CumulativeStatistics")
    assert c.tasks_created == 2
    assert (c.reservations_created, c.reservations_accepted, c.reservations_rejected) == (2, 1, 1)
    assert (c.reservations_timed_out, c.reservations_canceled, c.reservations_rescinded) == (
        0,
        0,
        0,
    )
    assert (c.tasks_completed, c.tasks_canceled, c.tasks_deleted, c.tasks_moved) == (1, 1, 0, 0)
    assert c.tasks_timed_out_in_workflow == 0
    accepted = c.wait_duration_until_accepted
    assert about(accepted["total"], 100)
    assert accepted["min"] == accepted["max"] == accepted["avg"] == accepted["total"]
    assert c.avg_task_acceptance_time == accepted["avg"]
    canceled = c.wait_duration_until_canceled
    assert canceled["total"] < 60  # t2 waited only as long as the test ran
    assert c.split_by_wait_time == {
        "60": {
            "above": {"tasks_canceled": 0, "reservations_accepted": 1},
            "below": {"tasks_canceled": 1, "reservations_accepted": 0},
        },
        "3600": {
            "above": {"tasks_canceled": 0, "reservations_accepted": 0},
            "below": {"tasks_canceled": 1, "reservations_accepted": 1},
        },
    }
    window = c.end_time - c.start_time
    assert window.total_seconds() == pytest.approx(15 * 60, abs=1)


def test_queue_and_workflow_cumulative_are_scoped(scene):
    api = scene.floor.api
    q = api.task_queues(scene.queue.sid).cumulative_statistics().fetch()
    assert q.task_queue_sid == scene.queue.sid
    assert q.tasks_entered == 2
    assert (q.reservations_created, q.reservations_accepted, q.reservations_rejected) == (2, 1, 1)
    assert (q.tasks_completed, q.tasks_canceled) == (1, 1)
    assert about(q.wait_duration_in_queue_until_accepted["total"], 50)
    assert about(q.wait_duration_until_accepted["total"], 100)
    assert q.split_by_wait_time is None  # only when asked for

    other = api.task_queues(scene.other_queue.sid).cumulative_statistics().fetch()
    assert (other.tasks_entered, other.reservations_created, other.tasks_canceled) == (0, 0, 0)
    assert other.wait_duration_until_accepted == ZERO_DURATIONS

    wf = api.workflows(scene.workflow.sid).cumulative_statistics().fetch()
    assert wf.workflow_sid == scene.workflow.sid
    assert wf.tasks_entered == 2
    assert (wf.reservations_created, wf.reservations_accepted) == (2, 1)
    assert (wf.tasks_completed, wf.tasks_canceled, wf.tasks_timed_out_in_workflow) == (1, 1, 0)


def test_workers_cumulative_counts_reservations_and_time_in_activities(scene):
    api = scene.floor.api
    c = api.workers.cumulative_statistics().fetch()
    assert c.url.endswith(f"/v1/Workspaces/{scene.floor.sid}/Workers/CumulativeStatistics")
    assert {name: getattr(c, name) for name in RESERVATION_FIGURES} == {
        "reservations_created": 2,
        "reservations_accepted": 1,
        "reservations_rejected": 1,
        "reservations_timed_out": 0,
        "reservations_canceled": 0,
        "reservations_rescinded": 0,
    }
    durations = {a["friendly_name"]: a for a in c.activity_durations}
    assert set(durations) == {"Offline", "Available", "Unavailable"}
    offline = durations["Offline"]  # Alice's one stint, closed when she went Available
    assert about(offline["total"], 200)
    assert offline["min"] == offline["max"] == offline["avg"] == offline["total"]
    assert {k: durations["Available"][k] for k in ZERO_DURATIONS} == ZERO_DURATIONS

    alice = api.workers(scene.alice.sid).statistics().fetch()
    assert alice.worker_sid == scene.alice.sid
    assert alice.url.endswith(f"/Workers/{scene.alice.sid}/Statistics")
    assert alice.cumulative["reservations_created"] == 2
    assert alice.cumulative["reservations_accepted"] == 1

    bob = api.workers(scene.bob.sid).statistics().fetch()
    assert bob.cumulative["reservations_created"] == 0
    assert all(a["total"] == 0 for a in bob.cumulative["activity_durations"])


def test_combined_statistics_nest_both_halves(scene):
    api = scene.floor.api
    ws = api.statistics().fetch(split_by_wait_time="10")
    assert ws.realtime["total_workers"] == 2
    assert ws.realtime["total_tasks"] == 0  # t1 completed, t2 canceled
    assert ws.cumulative["tasks_created"] == 2
    assert set(ws.cumulative["split_by_wait_time"]) == {"10"}

    q = api.task_queues(scene.queue.sid).statistics().fetch()
    assert q.task_queue_sid == scene.queue.sid
    assert q.realtime["total_eligible_workers"] == 1
    assert q.realtime["total_available_workers"] == 1
    assert q.cumulative["tasks_entered"] == 2

    wf = api.workflows(scene.workflow.sid).statistics().fetch()
    assert wf.realtime["total_tasks"] == 0
    assert wf.cumulative["reservations_accepted"] == 1

    workers = api.workers.statistics().fetch()
    assert workers.realtime["total_workers"] == 2
    assert by_name(workers.realtime["activity_statistics"])["Available"] == 1
    assert workers.cumulative["reservations_created"] == 2


def test_workers_statistics_filters_select_workers(scene):
    api = scene.floor.api
    by_queue = api.workers.statistics().fetch(task_queue_sid=scene.queue.sid)
    assert by_queue.realtime["total_workers"] == 1  # only Alice is a sales worker
    assert by_queue.cumulative["reservations_created"] == 2

    by_queue_name = api.workers.statistics().fetch(task_queue_name="Sales")
    assert by_queue_name.realtime["total_workers"] == 1

    bob = api.workers.statistics().fetch(friendly_name="Bob")
    assert bob.realtime["total_workers"] == 1
    assert by_name(bob.realtime["activity_statistics"])["Offline"] == 1
    assert bob.cumulative["reservations_created"] == 0

    nobody = api.workers.statistics().fetch(task_queue_sid=MISSING["WQ"])
    assert nobody.realtime["total_workers"] == 0
    assert nobody.cumulative["reservations_created"] == 0
    mismatch = api.workers.statistics().fetch(
        task_queue_sid=scene.queue.sid, task_queue_name="Nobody"
    )
    assert mismatch.realtime["total_workers"] == 0


def test_task_channel_narrows_the_figures(scene):
    api = scene.floor.api
    default_sid = next(c.sid for c in api.task_channels.list() if c.unique_name == "default")
    # The tasks ran on the `default` channel, named by unique name or by SID.
    for channel in ("default", default_sid):
        q = api.task_queues(scene.queue.sid).cumulative_statistics().fetch(task_channel=channel)
        assert (q.tasks_entered, q.reservations_created) == (2, 2)
        assert api.cumulative_statistics().fetch(task_channel=channel).tasks_created == 2
    voice = api.cumulative_statistics().fetch(task_channel="voice")
    assert (voice.tasks_created, voice.reservations_created) == (0, 0)
    unknown = api.statistics().fetch(task_channel="no-such-channel")
    assert unknown.realtime["total_workers"] == 0
    assert unknown.cumulative["tasks_created"] == 0

    workers = api.workers.cumulative_statistics().fetch(task_channel="voice")
    assert workers.reservations_created == 0
    # Time in activities concerns no channel: it is counted whatever the channel.
    offline = {a["friendly_name"]: a for a in workers.activity_durations}["Offline"]
    assert about(offline["total"], 200)

    # Real time: with Alice Offline, a default and a chat task both wait.
    api.workers(scene.alice.sid).update(activity_sid=scene.floor.offline)
    scene.floor.task(scene.workflow.sid)
    chat = api.tasks.create(workflow_sid=scene.workflow.sid, task_channel="chat").sid
    rt = api.real_time_statistics().fetch(task_channel="chat")
    assert rt.total_tasks == 1
    assert rt.longest_task_waiting_sid == chat
    assert api.real_time_statistics().fetch().total_tasks == 2
    assert api.real_time_statistics().fetch(task_channel="voice").total_tasks == 0


def test_the_window_bounds_the_cumulative_figures(server, client):
    f = floor(client, "Window")
    queue = f.queue("Q")
    workflow = f.workflow("W", default_queue=queue.sid)
    old = f.task(workflow.sid).sid
    f.task(workflow.sid)
    (created,) = [e for e in f.events(task_sid=old) if e.event_type == "task.created"]
    set_event_date(server, created.sid, now_ms() - 2 * 3600 * 1000)

    assert f.api.cumulative_statistics().fetch().tasks_created == 1
    assert f.api.cumulative_statistics().fetch(minutes=60).tasks_created == 1
    assert f.api.cumulative_statistics().fetch(minutes=180).tasks_created == 2
    start = datetime.fromtimestamp((now_ms() - 3 * 3600 * 1000) / 1000, tz=UTC)
    assert f.api.cumulative_statistics().fetch(start_date=start).tasks_created == 2

    past = f.api.cumulative_statistics().fetch(
        start_date=datetime(2001, 1, 1, tzinfo=UTC), end_date=datetime(2001, 1, 2, tzinfo=UTC)
    )
    assert past.tasks_created == 0
    assert past.start_time == datetime(2001, 1, 1, tzinfo=UTC)
    assert past.end_time == datetime(2001, 1, 2, tzinfo=UTC)
    assert past.wait_duration_until_accepted == ZERO_DURATIONS

    end_only = (
        f.api.task_queues(queue.sid)
        .cumulative_statistics()
        .fetch(end_date=datetime(2001, 1, 1, 12, tzinfo=UTC))
    )
    assert end_only.start_time == datetime(2001, 1, 1, 11, 45, tzinfo=UTC)
    assert end_only.tasks_entered == 0


# --- lists and bulk --------------------------------------------------------------------------


def test_queue_statistics_list_pages_and_filters(scene):
    api = scene.floor.api
    listed = api.task_queues.statistics.list()
    assert [s.task_queue_sid for s in listed] == [scene.queue.sid, scene.other_queue.sid]
    sales = listed[0]
    assert sales.workspace_sid == scene.floor.sid
    assert sales.realtime["total_eligible_workers"] == 1
    assert sales.cumulative["tasks_entered"] == 2
    assert listed[1].cumulative["tasks_entered"] == 0

    page = api.task_queues.statistics.page(page_size=1)
    assert [s.task_queue_sid for s in page] == [scene.queue.sid]
    following = page.next_page()
    assert [s.task_queue_sid for s in following] == [scene.other_queue.sid]
    assert following.next_page() is None

    (named,) = api.task_queues.statistics.list(friendly_name="Nobody")
    assert named.task_queue_sid == scene.other_queue.sid
    assert api.task_queues.statistics.list(friendly_name="No such queue") == []

    split = api.task_queues.statistics.list(split_by_wait_time="60", minutes=30)
    assert split[0].cumulative["split_by_wait_time"]["60"]["above"]["reservations_accepted"] == 1


def test_bulk_real_time_statistics(scene):
    api = scene.floor.api
    sids = [scene.queue.sid, scene.other_queue.sid, MISSING["WQ"]]
    bulk = api.task_queues.bulk_real_time_statistics.create(body=Body(QueueSids=sids))
    assert bulk.workspace_sid == scene.floor.sid
    assert bulk.url.endswith(f"/v1/Workspaces/{scene.floor.sid}/TaskQueues/RealTimeStatistics")
    assert bulk.task_queue_response_count == 3
    assert [d["task_queue_sid"] for d in bulk.task_queue_data] == sids
    sales, nobody, missing = bulk.task_queue_data
    assert sales["total_eligible_workers"] == 1
    assert sales["total_available_workers"] == 1
    assert nobody["total_eligible_workers"] == 0
    # A well-formed SID that names no queue here is answered with zeros, as TaskRouter does.
    assert missing["total_tasks"] == 0
    assert missing["tasks_by_status"] == dict.fromkeys(STATUSES, 0)

    lower = api.task_queues.bulk_real_time_statistics.create(body=Body(queueSids=sids[:1]))
    assert lower.task_queue_response_count == 1


def test_bulk_real_time_statistics_accepts_a_form(server, account, client):
    workspace = floor(client, "Form")
    queue = workspace.queue("Q")
    with http(server, account) as raw:
        response = raw.post(
            f"/v1/Workspaces/{workspace.sid}/TaskQueues/RealTimeStatistics",
            data={"QueueSids": queue.sid},
        )
    assert response.status_code == 200, response.text
    assert response.json()["task_queue_data"][0]["task_queue_sid"] == queue.sid


# --- bad input -------------------------------------------------------------------------------


def test_bad_windows_are_refused(client, workspace):
    api = client.taskrouter.v1.workspaces(workspace.sid)
    with twilio_error(400, 20001, "Minutes"):
        api.cumulative_statistics().fetch(minutes=0)
    with twilio_error(400, 20001, "Minutes"):
        api.statistics().fetch(minutes=-3)
    with twilio_error(400, 20001, "cannot be combined"):
        api.workers.cumulative_statistics().fetch(
            minutes=5, start_date=datetime(2020, 1, 1, tzinfo=UTC)
        )
    with twilio_error(400, 20001, "after EndDate"):
        api.cumulative_statistics().fetch(
            start_date=datetime(2020, 1, 2, tzinfo=UTC), end_date=datetime(2020, 1, 1, tzinfo=UTC)
        )
    with twilio_error(400, 20001, "future"):
        api.cumulative_statistics().fetch(start_date=datetime(2999, 1, 1, tzinfo=UTC))
    with twilio_error(400, 20001, "SplitByWaitTime"):
        api.cumulative_statistics().fetch(split_by_wait_time="ten")
    with twilio_error(400, 20001, "SplitByWaitTime"):
        api.task_queues.statistics.list(split_by_wait_time="5,-1")


def test_malformed_parameters_are_refused(server, account, workspace):
    base = f"/v1/Workspaces/{workspace.sid}"
    with http(server, account) as raw:
        for path, query in (
            ("/Statistics", "Minutes=abc"),
            ("/CumulativeStatistics", "StartDate=yesterday"),
            ("/RealTimeStatistics", "Minutes=5"),  # real-time figures take no window
            ("/Workers/RealTimeStatistics", "FriendlyName=x"),
            ("/Workers/Statistics", "TaskQueueSid=nope"),
            ("/Workers/Statistics", "SplitByWaitTime=5"),
            ("/TaskQueues/Statistics", "Atributes=1"),
        ):
            assert_twilio_error(raw.get(f"{base}{path}?{query}"), 400, 20001)


def test_unknown_resources_are_404(client, workspace):
    api = client.taskrouter.v1.workspaces(workspace.sid)
    with twilio_error(404, 20404):
        api.task_queues(MISSING["WQ"]).statistics().fetch()
    with twilio_error(404, 20404):
        api.task_queues(MISSING["WQ"]).real_time_statistics().fetch()
    with twilio_error(404, 20404):
        api.task_queues("WQnot-a-sid").cumulative_statistics().fetch()
    with twilio_error(404, 20404):
        api.workflows(MISSING["WW"]).statistics().fetch()
    with twilio_error(404, 20404):
        api.workflows(MISSING["WW"]).cumulative_statistics().fetch()
    with twilio_error(404, 20404):
        api.workers(MISSING["WK"]).statistics().fetch()
    with twilio_error(404, 20404):
        client.taskrouter.v1.workspaces(MISSING["WS"]).statistics().fetch()
    with twilio_error(404, 20404):
        client.taskrouter.v1.workspaces(MISSING["WS"]).task_queues.statistics.list()


def test_another_accounts_workspace_is_404(server, client):
    f = floor(client, "Mine")
    queue = f.queue("Q")
    workflow = f.workflow("W", default_queue=queue.sid)
    worker = f.worker("W1")
    other = stranger(server).taskrouter.v1.workspaces(f.sid)
    for call in (
        lambda: other.statistics().fetch(),
        lambda: other.real_time_statistics().fetch(),
        lambda: other.cumulative_statistics().fetch(),
        lambda: other.task_queues(queue.sid).statistics().fetch(),
        lambda: other.task_queues.statistics.list(),
        lambda: other.task_queues.bulk_real_time_statistics.create(
            body=Body(QueueSids=[queue.sid])
        ),
        lambda: other.workflows(workflow.sid).real_time_statistics().fetch(),
        lambda: other.workers.statistics().fetch(),
        lambda: other.workers.real_time_statistics().fetch(),
        lambda: other.workers(worker.sid).statistics().fetch(),
    ):
        with twilio_error(404, 20404):
            call()


def test_bad_bulk_bodies_are_refused(server, account, client, workspace):
    api = client.taskrouter.v1.workspaces(workspace.sid)
    with twilio_error(400, 20001, "QueueSids"):
        api.task_queues.bulk_real_time_statistics.create(body=Body(QueueSids=[]))
    too_many = [f"WQ{i:032x}" for i in range(51)]
    with twilio_error(400, 20001, "QueueSids"):
        api.task_queues.bulk_real_time_statistics.create(body=Body(QueueSids=too_many))
    with twilio_error(400, 20001, "QueueSids"):
        api.task_queues.bulk_real_time_statistics.create(body=Body(QueueSids=["WQ123"]))
    with twilio_error(400, 20001, "QueueSids"):
        api.task_queues.bulk_real_time_statistics.create(body=Body(QueueSids="WQ" + "0" * 32))
    with twilio_error(400, 20001, "Unknown parameter"):
        api.task_queues.bulk_real_time_statistics.create(body=Body(Sids=[MISSING["WQ"]]))
    path = f"/v1/Workspaces/{workspace.sid}/TaskQueues/RealTimeStatistics"
    with http(server, account) as raw:
        for content, content_type in (
            (b"{not json", "application/json"),
            (json.dumps([MISSING["WQ"]]).encode(), "application/json"),
            (b"<QueueSids/>", "application/xml"),
        ):
            response = raw.post(path, content=content, headers={"Content-Type": content_type})
            assert_twilio_error(response, 400, 20001)
