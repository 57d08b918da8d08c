from __future__ import annotations

import pytest

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.events import (
    callback_form,
    parse_events_filter,
    pascal_case,
    passes_filter,
    task_fields,
    worker_activity_change_fields,
)


def test_events_filter_is_normalised_and_checked():
    assert parse_events_filter(" task.created , worker.activity.update ") == (
        "task.created,worker.activity.update"
    )
    assert parse_events_filter(" , ") is None
    with pytest.raises(InvalidParameter, match=r"task\.exploded"):
        parse_events_filter("task.created,task.exploded")


def test_filter_passes_listed_types_only():
    assert passes_filter(None, "task.created")
    assert passes_filter("task.created,task.completed", "task.completed")
    assert not passes_filter("task.created", "task.completed")


def test_pascal_case_gives_twilios_callback_names():
    assert pascal_case("task_sid") == "TaskSid"
    assert pascal_case("worker_time_in_previous_activity_ms") == "WorkerTimeInPreviousActivityMs"


def _task(**overrides):
    task = {
        "sid": "WT1",
        "attributes": "{}",
        "date_created": 1_000_000,
        "priority": 3,
        "assignment_status": "canceled",
        "reason": "hangup",
        "version": 2,
        "timeout": 60,
        "task_channel_sid": "TC1",
        "task_channel_unique_name": "voice",
        "task_queue_sid": None,
        "task_queue_entered_date": None,
        "virtual_start_time": 1_000_000,
        "routing_target": None,
        "ignore_capacity": None,
        "workflow_sid": "WW1",
        "workflow_friendly_name": "Main",
    }
    return {**task, **overrides}


def test_task_fields_are_strings_and_absent_values_are_left_out():
    fields = task_fields(_task(), now_ms=1_031_500)
    assert fields["task_age"] == "31"
    assert fields["task_priority"] == "3"
    assert fields["task_canceled_reason"] == "hangup"
    assert "task_completed_reason" not in fields
    assert "task_queue_sid" not in fields
    assert all(isinstance(v, str) for v in fields.values())


def test_completed_reason_goes_to_its_own_field():
    fields = task_fields(_task(assignment_status="completed"), now_ms=1_000_000)
    assert fields["task_completed_reason"] == "hangup"
    assert "task_canceled_reason" not in fields


def test_time_in_previous_activity_in_seconds_and_milliseconds():
    fields = worker_activity_change_fields("WA1", "Offline", 1_000, 27_123)
    assert fields["worker_time_in_previous_activity"] == "26"
    assert fields["worker_time_in_previous_activity_ms"] == "26123"


def test_callback_form_has_the_common_parameters_and_pascal_cased_data():
    form = callback_form(
        sid="EV1",
        event_type="task.created",
        account_sid="AC1",
        workspace_sid="WS1",
        description="Task WT1 created",
        resource_type="task",
        resource_sid="WT1",
        event_ms=1_700_000_000_123,
        data={"task_sid": "WT1", "workspace_name": "Support"},
    )
    assert form["TaskSid"] == "WT1"
    assert form["WorkspaceName"] == "Support"
    assert form["Timestamp"] == "1700000000"
    assert form["TimestampMs"] == "1700000000123"
    assert form["EventType"] == "task.created"
    assert form["ResourceType"] == "task"
