"""Routing scenarios, end to end: the official helper library against a running server.

Each scenario configures a workspace, moves workers and tasks through the API only, lets the
router and the routing timers do their work, and then checks what happened through the
Events resource (filtered by task, so sequences are exact) and the Reservations resources.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, select
from twilio.rest import Client

from hindsight.store.database import normalise_url
from hindsight.store.schema import events as event_log
from tests.api.helpers_routing import ENTERED, Floor, data, etag, floor, ms_tick, summary
from tests.api.helpers_tasks import stranger
from tests.support.server import RunningServer, start_server
from tests.support.twilio_client import client_for
from tests.support.twilio_errors import twilio_error
from tests.support.waiting import wait_for


@pytest.fixture
def f(client: Client) -> Floor:
    return floor(client)


def _entered() -> list[tuple[str, None]]:
    return [(event_type, None) for event_type in ENTERED]


def _one_queue(f: Floor, reservation_timeout: int | None = None, **queue_fields: Any):
    """A queue for everyone and a workflow sending every task to it."""
    queue = f.queue("Everyone", **queue_fields)
    workflow = f.workflow(
        "Everything", default_queue=queue.sid, reservation_timeout=reservation_timeout
    )
    return queue, workflow


# --- 1. queues, filters and skills ------------------------------------------------------------


def test_filters_and_skills_send_each_task_only_to_qualified_workers(f: Floor) -> None:
    sales = f.queue("Sales", "skills HAS 'sales'")
    support = f.queue("Support", "skills HAS 'support'")
    speaks = "task.language IN worker.languages"
    workflow = f.workflow(
        "Skills",
        [
            {
                "filter_friendly_name": "Sales",
                "expression": "type == 'sales'",
                "targets": [{"queue": sales.sid, "expression": speaks}],
            },
            {
                "filter_friendly_name": "Support",
                "expression": "type == 'support'",
                "targets": [{"queue": support.sid, "expression": speaks}],
            },
        ],
    )
    f.worker("Ana", skills=["sales"], languages=["en", "es"])
    f.worker("Bob", skills=["sales"], languages=["en"])
    f.worker("Carl", skills=["support"], languages=["es"])
    dana = f.worker("Dana", skills=["sales", "support"], languages=["fr"])
    # Nobody speaks German in Support: this task waits.
    german = f.task(workflow.sid, type="support", language="de")

    plan = [
        ("sales", "es", sales.sid, "Ana"),  # only Ana sells in Spanish
        ("support", "es", support.sid, "Carl"),  # Ana speaks Spanish but is not in Support
        ("sales", "fr", sales.sid, "Dana"),
        ("support", "fr", support.sid, None),  # Dana qualifies, but her one slot is taken
        ("sales", "en", sales.sid, "Bob"),  # Ana qualifies too, but her slot is taken
    ]
    tasks = {}
    for kind, language, queue_sid, worker_name in plan:
        task = f.task(workflow.sid, type=kind, language=language)
        tasks[kind, language] = task
        assert task.task_queue_sid == queue_sid, (kind, language)
        if worker_name is not None:
            assert f.pending_one(task.sid).worker_name == worker_name, (kind, language)
        events = f.task_events(task.sid)
        assert summary(events)[:4] == _entered()
        matched = data(events[2])
        assert (matched["task_queue_sid"], matched["workflow_sid"]) == (queue_sid, workflow.sid)

    for (*_where, worker_name), task in zip(plan, tasks.values(), strict=True):
        if worker_name is not None:
            assert f.task_event_types(task.sid) == [*ENTERED, "reservation.created"]
            assert f.status(task.sid) == "reserved"
    waiting = [german, tasks["support", "fr"]]
    for task in waiting:
        assert f.reservations(task.sid) == []
        assert f.task_event_types(task.sid) == ENTERED
        assert f.status(task.sid) == "pending"

    # A German speaker joins Support: the waiting German task is offered to her, and only that.
    erin = f.worker("Erin", skills=["support"], languages=["de"])
    assert f.pending_one(german.sid).worker_sid == erin.sid
    assert [r.task_sid for r in f.api.workers(erin.sid).reservations.list()] == [german.sid]
    # Dana finishes her sale: the French support task she qualifies for is hers next.
    (sale,) = f.api.workers(dana.sid).reservations.list()
    f.answer(sale, reservation_status="accepted")
    f.answer(sale, reservation_status="completed")
    assert f.pending_one(tasks["support", "fr"].sid).worker_sid == dana.sid


# --- 2. reject, then another worker accepts ---------------------------------------------------


def test_rejected_task_waits_again_and_goes_to_the_next_worker_who_accepts(f: Floor) -> None:
    _queue, workflow = _one_queue(f)
    alice = f.worker("Alice")
    bob = f.worker("Bob", available=False)
    task = f.task(workflow.sid)
    first = f.pending_one(task.sid)
    assert first.worker_sid == alice.sid

    rejected = f.answer(first, reservation_status="rejected", worker_activity_sid=f.unavailable)

    assert rejected.reservation_status == "rejected"
    assert f.worker_activity(alice.sid) == "Unavailable"
    assert f.status(task.sid) == "pending"
    assert f.reservations(task.sid, reservation_status="pending") == []

    f.set_activity(bob.sid, f.available)
    second = f.pending_one(task.sid)
    assert second.worker_sid == bob.sid
    accepted = f.answer(second, reservation_status="accepted")

    assert accepted.reservation_status == "accepted"
    assert f.status(task.sid) == "assigned"
    assert summary(f.task_events(task.sid)) == [
        *_entered(),
        ("reservation.created", "Alice"),
        ("reservation.rejected", "Alice"),
        ("reservation.created", "Bob"),
        ("reservation.accepted", "Bob"),
    ]
    (moved,) = f.events(worker_sid=alice.sid, event_type="worker.activity.update")
    assert (data(moved)["worker_previous_activity_name"], data(moved)["worker_activity_name"]) == (
        "Available",
        "Unavailable",
    )
    assert {r.reservation_status for r in f.reservations(task.sid)} == {"rejected", "accepted"}


def test_a_worker_who_rejected_is_not_offered_the_task_again(f: Floor) -> None:
    _queue, workflow = _one_queue(f)
    alice = f.worker("Alice")
    task = f.task(workflow.sid)
    f.answer(f.pending_one(task.sid), reservation_status="rejected")  # Alice stays Available
    assert f.worker_activity(alice.sid) == "Available"

    # Bob's arrival is routed after Alice's rejection; had Alice been offered the task again,
    # it would be reserved and Bob would get nothing.
    bob = f.worker("Bob")
    assert f.pending_one(task.sid).worker_sid == bob.sid
    assert summary(f.task_events(task.sid))[4:] == [
        ("reservation.created", "Alice"),
        ("reservation.rejected", "Alice"),
        ("reservation.created", "Bob"),
    ]


def test_several_workers_are_offered_a_task_and_the_first_to_accept_rescinds_the_rest(
    f: Floor,
) -> None:
    _queue, workflow = _one_queue(f, max_reserved_workers=2)
    f.worker("Alice")
    f.worker("Bob")
    task = f.task(workflow.sid)
    offers = f.pending(task.sid, count=2)
    assert {r.worker_name for r in offers} == {"Alice", "Bob"}
    taker, other = offers

    f.answer(taker, reservation_status="accepted")

    rescinded = f.api.tasks(task.sid).reservations(other.sid).fetch()
    assert rescinded.reservation_status == "rescinded"
    assert f.status(task.sid) == "assigned"
    events = summary(f.task_events(task.sid))[4:]
    assert sorted(events[:2]) == [("reservation.created", "Alice"), ("reservation.created", "Bob")]
    assert events[2:] == [
        ("reservation.accepted", taker.worker_name),
        ("reservation.rescinded", other.worker_name),
    ]
    with twilio_error(400, 20001):
        f.answer(other, reservation_status="accepted")
    # The rescinded worker is free for the next task.
    assert f.pending_one(f.task(workflow.sid).sid).worker_sid == other.worker_sid


def test_wrapping_and_completing_through_the_task_end_its_reservation(f: Floor) -> None:
    _queue, workflow = _one_queue(f)
    alice = f.worker("Alice")
    first = f.task(workflow.sid)
    reservation = f.pending_one(first.sid)
    f.answer(reservation, reservation_status="accepted")
    second = f.task(workflow.sid)  # waits: Alice's one slot is taken

    f.api.tasks(first.sid).update(assignment_status="wrapping")
    assert f.api.workers(alice.sid).reservations(reservation.sid).fetch().reservation_status == (
        "wrapping"
    )
    f.api.tasks(first.sid).update(assignment_status="completed", reason="resolved")

    assert f.pending_one(second.sid).worker_sid == alice.sid
    fetched = f.api.workers(alice.sid).reservations(reservation.sid).fetch()
    assert fetched.reservation_status == "completed"
    assert summary(f.task_events(first.sid))[4:] == [
        ("reservation.created", "Alice"),
        ("reservation.accepted", "Alice"),
        ("task.wrapup", None),
        ("reservation.wrapup", "Alice"),
        ("task.completed", None),
        ("reservation.completed", "Alice"),
    ]
    assert f.task_event_types(second.sid) == [*ENTERED, "reservation.created"]


def test_canceling_a_reserved_task_cancels_its_reservation(f: Floor) -> None:
    _queue, workflow = _one_queue(f)
    f.worker("Alice")
    task = f.task(workflow.sid)
    reservation = f.pending_one(task.sid)

    f.api.tasks(task.sid).update(assignment_status="canceled", reason="caller hung up")

    fetched = f.api.tasks(task.sid).reservations(reservation.sid).fetch()
    assert fetched.reservation_status == "canceled"
    assert summary(f.task_events(task.sid))[4:] == [
        ("reservation.created", "Alice"),
        ("task.canceled", None),
        ("reservation.canceled", "Alice"),
    ]
    with twilio_error(400, 20001):
        f.answer(reservation, reservation_status="accepted")
    assert f.pending_one(f.task(workflow.sid).sid).worker_name == "Alice"


# --- 3. reservation timeout -------------------------------------------------------------------


def test_reservation_timeout_moves_the_worker_offline_and_offers_the_task_to_another(
    f: Floor,
) -> None:
    _queue, workflow = _one_queue(f, reservation_timeout=1)
    alice = f.worker("Alice")
    bob = f.worker("Bob", available=False)
    task = f.task(workflow.sid)
    first = f.pending_one(task.sid)
    assert first.worker_sid == alice.sid
    f.set_activity(bob.sid, f.available)

    events = f.wait_task_events(task.sid, "reservation.created", count=2)

    assert summary(events) == [
        *_entered(),
        ("reservation.created", "Alice"),
        ("reservation.timeout", "Alice"),
        ("reservation.created", "Bob"),
    ]
    created, timed_out = events[4], events[5]
    assert timed_out.resource_sid == first.sid
    assert timed_out.event_date_ms - created.event_date_ms >= 1000
    assert f.api.tasks(task.sid).reservations(first.sid).fetch().reservation_status == "timeout"
    assert f.pending_one(task.sid).worker_sid == bob.sid
    assert f.status(task.sid) == "reserved"
    alice_now = f.api.workers(alice.sid).fetch()
    assert (alice_now.activity_sid, alice_now.activity_name) == (f.timeout_activity, "Offline")
    assert alice_now.available is False
    (moved,) = f.events(worker_sid=alice.sid, event_type="worker.activity.update")
    assert moved.event_date_ms >= timed_out.event_date_ms


# --- 4. task TTL ------------------------------------------------------------------------------


def test_task_ttl_cancels_a_task_nobody_took(f: Floor) -> None:
    _queue, workflow = _one_queue(f)
    f.worker("Off duty", available=False)
    task = f.api.tasks.create(workflow_sid=workflow.sid, timeout=1)

    events = f.wait_task_events(task.sid, "task.canceled")

    assert [e.event_type for e in events] == [*ENTERED, "task.canceled"]
    assert data(events[-1])["task_canceled_reason"] == "Task TTL Exceeded"
    assert events[-1].event_date_ms - events[0].event_date_ms >= 1000
    after = f.api.tasks(task.sid).fetch()
    assert (after.assignment_status, after.reason) == ("canceled", "Task TTL Exceeded")


def test_task_ttl_while_reserved_cancels_the_pending_reservation(f: Floor) -> None:
    _queue, workflow = _one_queue(f)  # reservations would wait 120 s
    alice = f.worker("Alice")
    task = f.api.tasks.create(workflow_sid=workflow.sid, timeout=2)
    reservation = f.pending_one(task.sid)

    events = f.wait_task_events(task.sid, "reservation.canceled")

    assert summary(events) == [
        *_entered(),
        ("reservation.created", "Alice"),
        ("task.canceled", None),
        ("reservation.canceled", "Alice"),
    ]
    assert data(events[-2])["task_canceled_reason"] == "Task TTL Exceeded"
    assert events[-1].resource_sid == reservation.sid
    fetched = f.api.workers(alice.sid).reservations(reservation.sid).fetch()
    assert fetched.reservation_status == "canceled"
    assert f.api.tasks(task.sid).fetch().reason == "Task TTL Exceeded"
    # Alice's capacity is free again: the next task is hers.
    assert f.pending_one(f.task(workflow.sid).sid).worker_sid == alice.sid


# --- 5. cold transfer -------------------------------------------------------------------------


def test_cold_transfer_to_another_queue(f: Floor) -> None:
    queue_a = f.queue("Team A", "team == 'A'")
    queue_b = f.queue("Team B", "team == 'B'")
    workflow = f.workflow(
        "Transfers",
        [
            {
                "filter_friendly_name": "Transfer to B",
                "expression": "transfer_to == 'B'",
                "targets": [{"queue": queue_b.sid}],
            }
        ],
        default_queue=queue_a.sid,
    )
    worker_a = f.worker("Agent A", team="A")
    worker_b = f.worker("Agent B", team="B")

    task1 = f.api.tasks.create(
        workflow_sid=workflow.sid,
        task_channel="voice",
        attributes=json.dumps({"type": "inbound", "from": "+15550100"}),
    )
    reservation1 = f.pending_one(task1.sid)
    assert reservation1.worker_sid == worker_a.sid
    f.answer(reservation1, reservation_status="accepted")
    # As Flex does: the conversation of the first task is named after it.
    attributes1 = {
        "type": "inbound",
        "from": "+15550100",
        "conversations": {"conversation_id": task1.sid},
    }
    f.api.tasks(task1.sid).update(attributes=json.dumps(attributes1))

    link = {
        "type": "transfer",
        "from": "+15550100",
        "conversations": {"conversation_id": task1.sid},
        "previous_task_sid": task1.sid,
        "transfer_to": "B",
    }
    task2 = f.api.tasks.create(
        workflow_sid=workflow.sid, task_channel="voice", attributes=json.dumps(link)
    )
    assert task2.task_queue_sid == queue_b.sid
    reservation2 = f.pending_one(task2.sid)
    assert reservation2.worker_sid == worker_b.sid

    completed = f.answer(reservation1, reservation_status="completed")
    assert completed.reservation_status == "completed"
    f.answer(reservation2, reservation_status="accepted")

    assert summary(f.task_events(task1.sid)) == [
        *_entered(),
        ("reservation.created", "Agent A"),
        ("reservation.accepted", "Agent A"),
        ("task.updated", None),
        ("task.completed", None),
        ("reservation.completed", "Agent A"),
    ]
    assert summary(f.task_events(task2.sid)) == [
        *_entered(),
        ("reservation.created", "Agent B"),
        ("reservation.accepted", "Agent B"),
    ]
    first, second = f.api.tasks(task1.sid).fetch(), f.api.tasks(task2.sid).fetch()
    assert (first.assignment_status, second.assignment_status) == ("completed", "assigned")
    assert (first.task_queue_sid, second.task_queue_sid) == (queue_a.sid, queue_b.sid)
    carried = json.loads(second.attributes)
    assert carried["conversations"]["conversation_id"] == task1.sid
    assert carried["previous_task_sid"] == task1.sid
    assert json.loads(first.attributes)["conversations"]["conversation_id"] == task1.sid
    assert [r.task_sid for r in f.api.workers(worker_a.sid).reservations.list()] == [task1.sid]
    assert f.channel(worker_a.sid, "voice").assigned_tasks == 0
    assert f.channel(worker_b.sid, "voice").assigned_tasks == 1


# --- 6. multitasking --------------------------------------------------------------------------


def test_channel_capacity_limits_concurrent_reservations_per_channel(f: Floor) -> None:
    _queue, workflow = _one_queue(f)
    worker = f.worker("Multi", available=False)
    chat = f.channel(worker.sid, "chat")
    f.api.workers(worker.sid).worker_channels(chat.sid).update(capacity=2)
    f.set_activity(worker.sid, f.available)

    def chat_task() -> Any:
        return f.api.tasks.create(workflow_sid=workflow.sid, task_channel="chat")

    chat1 = chat_task()
    reservation1 = f.pending_one(chat1.sid)
    chat2 = chat_task()
    f.pending_one(chat2.sid)
    chat3 = chat_task()  # no room on chat
    voice1 = f.api.tasks.create(workflow_sid=workflow.sid, task_channel="voice")
    assert f.pending_one(voice1.sid).worker_sid == worker.sid  # voice has its own room
    voice2 = f.api.tasks.create(workflow_sid=workflow.sid, task_channel="voice")
    # Wait for the router to have looked at voice2 (it follows the log in order) by waiting
    # for a later task on another channel to be routed.
    sms = f.api.tasks.create(workflow_sid=workflow.sid, task_channel="sms")
    assert f.pending_one(sms.sid).worker_sid == worker.sid

    assert f.reservations(chat3.sid) == []
    assert f.reservations(voice2.sid) == []
    channel = f.api.workers(worker.sid).worker_channels(chat.sid).fetch()
    assert (channel.configured_capacity, channel.assigned_tasks) == (2, 2)
    assert channel.available_capacity_percentage == 0
    held = f.api.workers(worker.sid).reservations.list(reservation_status="pending")
    assert sorted(r.task_sid for r in held) == sorted([chat1.sid, chat2.sid, voice1.sid, sms.sid])

    f.answer(reservation1, reservation_status="accepted")
    assert f.reservations(chat3.sid) == []  # accepted still holds the slot
    f.answer(reservation1, reservation_status="completed")

    assert f.pending_one(chat3.sid).worker_sid == worker.sid
    assert f.task_event_types(chat3.sid) == [*ENTERED, "reservation.created"]
    (completed,) = f.events(task_sid=chat1.sid, event_type="reservation.completed")
    (offered,) = f.events(task_sid=chat3.sid, event_type="reservation.created")
    assert offered.event_date_ms >= completed.event_date_ms
    assert f.reservations(voice2.sid) == []
    assert f.status(voice2.sid) == "pending"


# --- 7. workflow target timeouts ----------------------------------------------------------------


def _two_step_workflow(f: Floor, second_timeout: int | None) -> tuple[Any, Any, Any]:
    first = f.queue("First line", "tier == 1")
    second = f.queue("Second line", "tier == 2")
    target2: dict[str, Any] = {"queue": second.sid}
    if second_timeout is not None:
        target2["timeout"] = second_timeout
    workflow = f.workflow(
        "Escalation",
        [
            {
                "filter_friendly_name": "Escalate",
                "expression": "1 == 1",
                "targets": [{"queue": first.sid, "timeout": 1}, target2],
            }
        ],
    )
    return first, second, workflow


def test_target_timeout_moves_the_task_to_the_next_target_where_it_is_reserved(
    f: Floor,
) -> None:
    first, second, workflow = _two_step_workflow(f, second_timeout=None)
    senior = f.worker("Senior", tier=2)
    task = f.task(workflow.sid)

    events = f.wait_task_events(task.sid, "reservation.created")

    assert summary(events) == [
        *_entered(),
        ("task-queue.timeout", None),
        ("workflow.target-matched", None),
        ("task-queue.moved", None),
        ("reservation.created", "Senior"),
    ]
    assert data(events[3])["task_queue_sid"] == first.sid
    assert data(events[4])["task_queue_sid"] == first.sid
    assert data(events[5])["task_queue_sid"] == second.sid
    assert data(events[6])["task_queue_sid"] == second.sid
    assert data(events[7])["task_queue_sid"] == second.sid  # the reservation's queue
    assert events[4].event_date_ms - events[0].event_date_ms >= 1000
    assert f.pending_one(task.sid).worker_sid == senior.sid
    assert f.api.tasks(task.sid).fetch().task_queue_sid == second.sid


def test_timeout_of_the_last_target_ends_the_workflow_and_cancels_the_task(f: Floor) -> None:
    _first, second, workflow = _two_step_workflow(f, second_timeout=1)
    task = f.task(workflow.sid)

    events = f.wait_task_events(task.sid, "task.canceled")

    assert [e.event_type for e in events] == [
        *ENTERED,
        "task-queue.timeout",
        "workflow.target-matched",
        "task-queue.moved",
        "task-queue.timeout",
        "workflow.timeout",
        "task.canceled",
    ]
    assert data(events[-1])["task_canceled_reason"] == "Task canceled on Workflow timeout"
    assert events[7].event_date_ms - events[4].event_date_ms >= 1000
    after = f.api.tasks(task.sid).fetch()
    assert (after.assignment_status, after.reason) == (
        "canceled",
        "Task canceled on Workflow timeout",
    )
    assert after.task_queue_sid == second.sid


# --- 8. timers survive a restart ----------------------------------------------------------------

POSTGRES_ADMIN_URL = os.environ.get(
    "HINDSIGHT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(params=["sqlite", "postgres"])
def storage(request: pytest.FixtureRequest, tmp_path) -> Iterator[tuple[Any, str]]:
    """A data directory and a database of this test's own, so no other server routes them."""
    if request.param == "sqlite":
        yield tmp_path, f"sqlite:///{tmp_path / 'hindsight.db'}"
        return
    name = f"hindsight_restart_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield tmp_path, f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _event_types(database_url: str, task_sid: str) -> list[str]:
    """The task's logged event types, read from the database while no server runs."""
    engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as conn:
            query = select(event_log.c.event_type).where(event_log.c.task_sid == task_sid)
            return list(conn.execute(query).scalars())
    finally:
        engine.dispose()


def test_reservation_timeout_fires_after_a_restart(storage: tuple[Any, str]) -> None:
    data_dir, database_url = storage
    first_server = start_server(data_dir, database_url)
    try:
        account = first_server.new_account()
        before = floor(client_for(first_server.base_url, account.sid, account.auth_token))
        _queue, workflow = _one_queue(before, reservation_timeout=2)
        alice = before.worker("Alice")
        task = before.task(workflow.sid)
        reservation = before.pending_one(task.sid)
        assert reservation.worker_sid == alice.sid
        # Alice's reservation keeps the 2 s it was made with; Bob's, made after the restart,
        # takes the workflow's timeout then: long, so it is still pending when looked at.
        before.api.workflows(workflow.sid).update(task_reservation_timeout=3600)
        bob = before.worker("Bob")
        (created,) = before.events(task_sid=task.sid, event_type="reservation.created")
    finally:
        first_server.stop()
    # The first server stopped before the timeout fired: the reservation's end is not logged.
    assert _event_types(database_url, task.sid).count("reservation.timeout") == 0

    # (The new server may fire the overdue timeout while it starts.)
    restarted_ms = time.time_ns() // 1_000_000
    second_server = start_server(data_dir, database_url)
    try:
        client = client_for(second_server.base_url, account.sid, account.auth_token)
        after = replace(before, client=client)
        events = after.wait_task_events(task.sid, "reservation.created", count=2)

        assert summary(events) == [
            *_entered(),
            ("reservation.created", "Alice"),
            ("reservation.timeout", "Alice"),
            ("reservation.created", "Bob"),
        ]
        # Fired by the new server, at the time stored with the reservation.
        assert events[5].event_date_ms >= restarted_ms
        assert events[5].event_date_ms - created.event_date_ms >= 2000
        assert after.pending_one(task.sid).worker_sid == bob.sid
        assert after.worker_activity(alice.sid) == "Offline"
        fetched = after.api.tasks(task.sid).reservations(reservation.sid).fetch()
        assert fetched.reservation_status == "timeout"
    finally:
        second_server.stop()


# --- 9. the Reservations resources --------------------------------------------------------------


@pytest.fixture
def offered(f: Floor) -> tuple[Floor, Any, Any, Any]:
    """Alice holds a pending reservation for a task; Bob is available with nothing."""
    _queue, workflow = _one_queue(f)
    alice = f.worker("Alice")
    task = f.task(workflow.sid)
    reservation = f.pending_one(task.sid)
    assert reservation.worker_sid == alice.sid
    f.worker("Bob")
    return f, task, alice, reservation


def test_reservations_list_and_fetch_through_the_task_and_the_worker(offered) -> None:
    f, task, alice, reservation = offered
    bob = f.api.workers.list(friendly_name="Bob")[0]
    by_task = f.api.tasks(task.sid).reservations
    by_worker = f.api.workers(alice.sid).reservations

    assert [r.sid for r in by_task.list()] == [reservation.sid]
    assert [r.sid for r in by_task.list(reservation_status="pending")] == [reservation.sid]
    assert by_task.list(reservation_status="accepted") == []
    assert [r.sid for r in by_task.list(worker_sid=alice.sid)] == [reservation.sid]
    assert by_task.list(worker_sid=bob.sid) == []
    assert [r.sid for r in by_worker.list()] == [reservation.sid]
    assert [r.sid for r in by_worker.list(reservation_status="pending")] == [reservation.sid]
    assert by_worker.list(reservation_status="completed") == []
    assert f.api.workers(bob.sid).reservations.list() == []

    through_task = by_task(reservation.sid).fetch()
    through_worker = by_worker(reservation.sid).fetch()
    for fetched in (through_task, through_worker):
        assert (fetched.sid, fetched.task_sid, fetched.worker_sid) == (
            reservation.sid,
            task.sid,
            alice.sid,
        )
        assert (fetched.reservation_status, fetched.worker_name) == ("pending", "Alice")
        assert fetched.workspace_sid == f.sid
    assert through_task.url.endswith(f"/Tasks/{task.sid}/Reservations/{reservation.sid}")
    assert through_worker.url.endswith(f"/Workers/{alice.sid}/Reservations/{reservation.sid}")


def test_a_reservation_is_not_found_through_another_task_worker_or_account(
    offered, server: RunningServer
) -> None:
    f, task, _alice, reservation = offered
    bob = f.api.workers.list(friendly_name="Bob")[0]
    other_task = f.api.tasks.create(
        workflow_sid=task.workflow_sid, attributes="{}", task_channel="chat"
    )

    with twilio_error(404, 20404):
        f.api.tasks(other_task.sid).reservations(reservation.sid).fetch()
    with twilio_error(404, 20404):
        f.api.workers(bob.sid).reservations(reservation.sid).fetch()
    with twilio_error(404, 20404):
        f.api.workers(bob.sid).reservations(reservation.sid).update(reservation_status="accepted")
    outsider = stranger(server).taskrouter.v1.workspaces(f.sid)
    with twilio_error(404, 20404):
        outsider.tasks(task.sid).reservations(reservation.sid).fetch()
    with twilio_error(404, 20404):
        outsider.tasks(task.sid).reservations(reservation.sid).update(reservation_status="accepted")
    with twilio_error(404, 20404):
        outsider.tasks(task.sid).reservations.list()
    assert f.api.tasks(task.sid).reservations(reservation.sid).fetch().reservation_status == (
        "pending"
    )


def test_update_with_a_stale_if_match_fails_412_and_changes_nothing(offered) -> None:
    f, task, _alice, reservation = offered
    context = f.api.tasks(task.sid).reservations(reservation.sid)
    current = etag(context.fetch_with_http_info())

    with twilio_error(412, 20412):
        context.update(reservation_status="accepted", if_match='"7"')
    assert context.fetch().reservation_status == "pending"
    assert f.status(task.sid) == "reserved"

    accepted = context.update(reservation_status="accepted", if_match=current)
    assert accepted.reservation_status == "accepted"
    with twilio_error(412, 20412):
        context.update(reservation_status="completed", if_match=current)  # now stale
    assert context.fetch().reservation_status == "accepted"
    assert f.status(task.sid) == "assigned"


def test_invalid_reservation_transitions_are_refused_with_400(offered) -> None:
    f, task, _alice, reservation = offered
    context = f.api.tasks(task.sid).reservations(reservation.sid)

    with twilio_error(400, 20001):
        context.update(reservation_status="completed")  # still pending
    with twilio_error(400, 20001):
        context.update(reservation_status="wrapping")
    for routing_only in ("timeout", "rescinded", "canceled", "pending"):
        with twilio_error(400, 20001):
            context.update(reservation_status=routing_only)
    assert context.fetch().reservation_status == "pending"

    context.update(reservation_status="accepted")
    with twilio_error(400, 20001):
        context.update(reservation_status="accepted")
    with twilio_error(400, 20001):
        context.update(reservation_status="rejected")
    assert context.fetch().reservation_status == "accepted"
    assert [e.event_type for e in f.task_events(task.sid)][4:] == [
        "reservation.created",
        "reservation.accepted",
    ]


def test_accept_instruction_then_wrapup_and_complete_through_the_worker(offered) -> None:
    f, task, alice, reservation = offered
    context = f.api.workers(alice.sid).reservations(reservation.sid)

    assert context.update(instruction="accept").reservation_status == "accepted"
    assert f.status(task.sid) == "assigned"
    assert context.update(reservation_status="wrapping").reservation_status == "wrapping"
    assert f.status(task.sid) == "wrapping"
    assert context.update(reservation_status="completed").reservation_status == "completed"

    assert summary(f.task_events(task.sid))[4:] == [
        ("reservation.created", "Alice"),
        ("reservation.accepted", "Alice"),
        ("task.wrapup", None),
        ("reservation.wrapup", "Alice"),
        ("task.completed", None),
        ("reservation.completed", "Alice"),
    ]
    assert f.status(task.sid) == "completed"


def test_reject_instruction_offers_the_task_to_the_next_worker(offered) -> None:
    f, task, _alice, reservation = offered
    context = f.api.tasks(task.sid).reservations(reservation.sid)

    assert context.update(instruction="reject").reservation_status == "rejected"

    assert f.pending_one(task.sid).worker_name == "Bob"
    assert summary(f.task_events(task.sid))[4:] == [
        ("reservation.created", "Alice"),
        ("reservation.rejected", "Alice"),
        ("reservation.created", "Bob"),
    ]


def test_a_worker_holding_a_reservation_cannot_be_deleted(offered) -> None:
    f, task, alice, reservation = offered

    with twilio_error(400, 20001):
        f.api.workers(alice.sid).delete()
    assert f.api.workers(alice.sid).fetch().sid == alice.sid

    context = f.api.tasks(task.sid).reservations(reservation.sid)
    context.update(reservation_status="accepted")
    with twilio_error(400, 20001):
        f.api.workers(alice.sid).delete()
    context.update(reservation_status="completed")
    assert f.api.workers(alice.sid).delete() is True
    with twilio_error(404, 20404):
        f.api.workers(alice.sid).fetch()


# --- 10. which waiting task a freed worker gets first ---------------------------------------------


def _waiting_then_worker(f: Floor, workflow: Any, *priorities: int) -> tuple[list[Any], Any]:
    """Tasks created (in this order, with these priorities) before any worker is available."""
    tasks = []
    for priority in priorities:
        tasks.append(f.api.tasks.create(workflow_sid=workflow.sid, priority=priority))
        ms_tick()
    worker = f.worker("Solo")
    return tasks, worker


def _offer_order(f: Floor, tasks: list[Any]) -> list[str]:
    """Accept and complete whatever the one worker is offered, until all tasks were offered."""
    order = []
    for _ in tasks:

        def offered_now() -> Any:
            for task in tasks:
                if task.sid in order:
                    continue
                pending = f.reservations(task.sid, reservation_status="pending")
                if pending:
                    return pending[0]
            return None

        reservation = wait_for(offered_now, "the next offer")
        order.append(reservation.task_sid)
        f.answer(reservation, reservation_status="accepted")
        # Nothing else is offered while the worker's one slot is taken.
        assert all(
            f.reservations(t.sid, reservation_status="pending") == []
            for t in tasks
            if t.sid not in order
        )
        f.answer(reservation, reservation_status="completed")
    return order


def test_higher_priority_is_offered_first(f: Floor) -> None:
    _queue, workflow = _one_queue(f)
    tasks, _worker = _waiting_then_worker(f, workflow, 1, 10, 5)
    low, high, middle = tasks

    assert _offer_order(f, tasks) == [high.sid, middle.sid, low.sid]


def test_equal_priority_is_offered_oldest_first_in_a_fifo_queue(f: Floor) -> None:
    _queue, workflow = _one_queue(f)
    tasks, _worker = _waiting_then_worker(f, workflow, 3, 3, 3)

    assert _offer_order(f, tasks) == [t.sid for t in tasks]


def test_equal_priority_is_offered_newest_first_in_a_lifo_queue(f: Floor) -> None:
    _queue, workflow = _one_queue(f, task_order="LIFO")
    tasks, _worker = _waiting_then_worker(f, workflow, 3, 3, 3)

    assert _offer_order(f, tasks) == [t.sid for t in reversed(tasks)]


def test_priority_still_wins_in_a_lifo_queue(f: Floor) -> None:
    _queue, workflow = _one_queue(f, task_order="LIFO")
    tasks, _worker = _waiting_then_worker(f, workflow, 1, 9, 1)
    first, urgent, last = tasks

    assert _offer_order(f, tasks) == [urgent.sid, last.sid, first.sid]


def test_a_task_arriving_as_a_worker_frees_up_does_not_jump_the_waiting_queue(f: Floor) -> None:
    """The arrival and the worker's availability race to the router; either way the waiting
    higher-priority task is offered first. Several rounds, as the race is timing-dependent."""
    for round_ in range(8):
        queue = f.queue(f"Round {round_}", f"round == {round_}")
        workflow = f.workflow(f"Round {round_}", default_queue=queue.sid)
        worker = f.worker(f"Worker {round_}", available=False, round=round_)
        waiting = f.api.tasks.create(workflow_sid=workflow.sid, priority=10)
        with ThreadPoolExecutor(2) as pool:
            arriving = pool.submit(f.api.tasks.create, workflow_sid=workflow.sid, priority=0)
            f.set_activity(worker.sid, f.available)
            newcomer = arriving.result()

        offers = wait_for(lambda w=worker: f.api.workers(w.sid).reservations.list(), "an offer")
        assert [r.task_sid for r in offers] == [waiting.sid], round_
        assert f.reservations(newcomer.sid) == []
