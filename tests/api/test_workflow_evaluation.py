"""Workflow evaluation beyond the first placement: new attributes, ReEvaluateTasks, skip_if."""

from __future__ import annotations

import json
from typing import Any

import pytest
from twilio.rest import Client

from tests.api.helpers_routing import Floor, floor
from tests.support.waiting import wait_for


@pytest.fixture
def f(client: Client) -> Floor:
    return floor(client, "Evaluation")


def _language_workflow(f: Floor) -> tuple[Any, Any, Any]:
    spanish = f.queue("Spanish")
    english = f.queue("English")
    workflow = f.workflow(
        "By language",
        filters=[
            {"expression": "language == 'es'", "targets": [{"queue": spanish.sid}]},
            {"expression": "language == 'en'", "targets": [{"queue": english.sid}]},
        ],
    )
    return spanish, english, workflow


def test_new_attributes_move_a_waiting_task_to_the_queue_they_match(f: Floor) -> None:
    spanish, english, workflow = _language_workflow(f)
    task = f.task(workflow.sid, language="es")
    assert task.task_queue_sid == spanish.sid

    moved = f.api.tasks(task.sid).update(attributes=json.dumps({"language": "en"}))

    assert moved.task_queue_sid == english.sid
    assert f.task_event_types(task.sid)[-4:] == [
        "task.updated",
        "workflow.entered",
        "workflow.target-matched",
        "task-queue.moved",
    ]


def test_new_attributes_matching_the_same_step_keep_the_tasks_place(f: Floor) -> None:
    spanish, _english, workflow = _language_workflow(f)
    task = f.task(workflow.sid, language="es", tier=1)
    entered = task.task_queue_entered_date

    same = f.api.tasks(task.sid).update(attributes=json.dumps({"language": "es", "tier": 2}))

    assert same.task_queue_sid == spanish.sid
    assert same.task_queue_entered_date == entered
    assert f.task_event_types(task.sid)[-1] == "task.updated"


def test_attributes_matching_no_filter_cancel_the_waiting_task(f: Floor) -> None:
    _spanish, _english, workflow = _language_workflow(f)
    task = f.task(workflow.sid, language="es")

    updated = f.api.tasks(task.sid).update(attributes=json.dumps({"language": "de"}))

    assert updated.assignment_status == "canceled"
    assert updated.reason == "Task did not match any workflow filter"


def test_attributes_of_an_assigned_task_do_not_reroute_it(f: Floor) -> None:
    spanish, _english, workflow = _language_workflow(f)
    f.worker("Ana")
    task = f.task(workflow.sid, language="es")
    reservation = wait_for(lambda: f.api.tasks(task.sid).reservations.list(), "a reservation")[0]
    f.api.tasks(task.sid).reservations(reservation.sid).update(reservation_status="accepted")

    updated = f.api.tasks(task.sid).update(attributes=json.dumps({"language": "en"}))

    assert updated.assignment_status == "assigned"
    assert updated.task_queue_sid == spanish.sid


def test_re_evaluate_tasks_sends_waiting_tasks_through_the_new_rules(f: Floor) -> None:
    spanish, english, workflow = _language_workflow(f)
    task = f.task(workflow.sid, language="es")
    everything_english = json.dumps(
        {"task_routing": {"filters": [{"expression": "1==1", "targets": [{"queue": english.sid}]}]}}
    )

    f.api.workflows(workflow.sid).update(configuration=everything_english, re_evaluate_tasks="true")

    assert f.api.tasks(task.sid).fetch().task_queue_sid == english.sid
    assert spanish.sid != english.sid


def test_without_re_evaluate_tasks_waiting_tasks_stay_where_they_are(f: Floor) -> None:
    spanish, english, workflow = _language_workflow(f)
    task = f.task(workflow.sid, language="es")
    everything_english = json.dumps(
        {"task_routing": {"filters": [{"expression": "1==1", "targets": [{"queue": english.sid}]}]}}
    )

    f.api.workflows(workflow.sid).update(configuration=everything_english)

    assert f.api.tasks(task.sid).fetch().task_queue_sid == spanish.sid


def test_skip_if_passes_over_a_target_nobody_can_serve(f: Floor) -> None:
    specialists = f.queue("Specialists", target_workers="level == 'expert'")
    general = f.queue("General")
    workflow = f.workflow(
        "Escalation",
        filters=[
            {
                "expression": "1==1",
                "targets": [
                    {"queue": specialists.sid, "timeout": 300, "skip_if": "workers.available == 0"},
                    {"queue": general.sid},
                ],
            }
        ],
    )
    f.worker("Generalist", level="junior")

    task = f.task(workflow.sid)

    assert task.task_queue_sid == general.sid
    assert "task-queue.entered" in f.task_event_types(task.sid)


def test_skip_if_keeps_a_target_someone_can_serve(f: Floor) -> None:
    specialists = f.queue("Specialists", target_workers="level == 'expert'")
    general = f.queue("General")
    workflow = f.workflow(
        "Escalation",
        filters=[
            {
                "expression": "1==1",
                "targets": [
                    {"queue": specialists.sid, "timeout": 300, "skip_if": "workers.available == 0"},
                    {"queue": general.sid},
                ],
            }
        ],
    )
    f.worker("Expert", level="expert")

    assert f.task(workflow.sid).task_queue_sid == specialists.sid


def test_skipping_every_target_cancels_the_task(f: Floor) -> None:
    specialists = f.queue("Specialists", target_workers="level == 'expert'")
    workflow = f.workflow(
        "Only experts",
        filters=[
            {
                "expression": "1==1",
                "targets": [{"queue": specialists.sid, "skip_if": "workers.available == 0"}],
            }
        ],
    )

    task = f.task(workflow.sid)

    assert task.assignment_status == "canceled"
    assert f.task_event_types(task.sid)[-2:] == ["workflow.skipped", "task.canceled"]
