"""Workflow steps, worker choice, reservation states and routing triggers, without a database."""

from __future__ import annotations

import itertools
import json

import pytest

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.reservation_lifecycle import (
    ReservationStatus,
    check_worker_transition,
)
from hindsight.domain.routing_triggers import work_for
from hindsight.domain.worker_choice import Candidate, parse_order_by, rank, selects
from hindsight.domain.workflow_config import parse_configuration
from hindsight.domain.workflow_steps import DEFAULT_FILTER, first_step, next_step, step_at

Q1, Q2, Q3 = ("WQ" + c * 32 for c in "123")
CONFIG = parse_configuration(
    json.dumps(
        {
            "task_routing": {
                "filters": [
                    {
                        "filter_friendly_name": "Spanish",
                        "expression": "language == 'es'",
                        "targets": [{"queue": Q1, "timeout": 30}, {"queue": Q2, "priority": 9}],
                    },
                    {
                        "filter_friendly_name": "VIP",
                        "expression": "vip == true",
                        "targets": [{"queue": Q2}],
                    },
                ],
                "default_filter": {"queue": Q3},
            }
        }
    )
)


def test_first_matching_filter_wins_and_its_first_target_is_entered():
    step = first_step(CONFIG, {"language": "es", "vip": True})
    assert (step.filter_index, step.target_index, step.queue_sid) == (0, 0, Q1)
    assert step.target.timeout == 30


def test_no_filter_matching_falls_to_the_default_filter():
    step = first_step(CONFIG, {"language": "fr"})
    assert (step.filter_index, step.queue_sid) == (DEFAULT_FILTER, Q3)
    assert next_step(CONFIG, step) is None


def test_without_default_filter_nothing_matches():
    config = parse_configuration(
        json.dumps(
            {"task_routing": {"filters": [{"expression": "a == 1", "targets": [{"queue": Q1}]}]}}
        )
    )
    assert first_step(config, {"a": 2}) is None


def test_next_target_then_end_of_workflow():
    step = first_step(CONFIG, {"language": "es"})
    second = next_step(CONFIG, step)
    assert (second.target_index, second.queue_sid, second.target.priority) == (1, Q2, 9)
    assert next_step(CONFIG, second) is None


def test_a_stored_step_that_the_edited_workflow_lacks_is_none():
    assert step_at(CONFIG, 0, 1).queue_sid == Q2
    assert step_at(CONFIG, 0, 2) is None
    assert step_at(CONFIG, 7, 0) is None
    assert step_at(CONFIG, DEFAULT_FILTER, 0).queue_sid == Q3


def _candidate(sid, last=0, created=0, **document):
    return Candidate(
        sid=sid,
        document={"sid": sid, **document},
        last_reserved_ms=last,
        date_created=created,
        load=0,
        capacity=1,
        channel_available=True,
        activity_available=True,
    )


def test_longest_idle_first_and_never_reserved_before_anyone():
    workers = [_candidate("WKb", last=200), _candidate("WKa", last=100), _candidate("WKc")]
    assert [c.sid for c in rank(workers, None)] == ["WKc", "WKa", "WKb"]


def test_order_by_terms_come_before_idleness_and_missing_values_last():
    workers = [
        _candidate("WK1", last=1, level=2),
        _candidate("WK2", last=2, level=5),
        _candidate("WK3", last=3),
        _candidate("WK4", last=4, level=5, years=1),
    ]
    ranked = rank(workers, "worker.level DESC, worker.years DESC")
    assert [c.sid for c in ranked] == ["WK4", "WK2", "WK1", "WK3"]


@pytest.mark.parametrize("bad", ["worker.level SIDEWAYS", "1 + 1", "worker."])
def test_malformed_order_by_is_refused(bad):
    with pytest.raises(InvalidParameter):
        parse_order_by(bad)


def test_queue_and_target_expressions_both_select():
    worker = {"skills": ["es", "en"], "languages": ["es"]}
    task = {"language": "es"}
    assert selects("skills HAS 'es'", "task.language IN worker.languages", worker, task)
    assert not selects("skills HAS 'fr'", None, worker, task)
    assert not selects(
        "skills HAS 'es'", "task.language IN worker.languages", worker, {"language": "de"}
    )
    assert not selects("", None, worker, task)  # an empty TargetWorkers selects nobody


def test_room_needs_available_activity_open_channel_and_spare_capacity():
    base = _candidate("WK1")
    assert base.has_room()
    for change in ({"activity_available": False}, {"channel_available": False}, {"load": 1}):
        assert not Candidate(**{**base.__dict__, **change}).has_room()


S = ReservationStatus
WORKER_MOVES = {
    (S.PENDING, S.ACCEPTED),
    (S.PENDING, S.REJECTED),
    (S.ACCEPTED, S.WRAPPING),
    (S.ACCEPTED, S.COMPLETED),
    (S.WRAPPING, S.COMPLETED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_workers_may_only_accept_reject_wrap_and_complete(current, target):
    if (current, target) in WORKER_MOVES:
        check_worker_transition("WR1", current.value, target)
    else:
        with pytest.raises(InvalidParameter):
            check_worker_transition("WR1", current.value, target)


def test_routing_work_is_derived_from_events_once_each_in_order():
    events = [
        ("task.created", {"task_sid": "WT1"}),
        ("task-queue.entered", {"task_sid": "WT1"}),
        ("worker.activity.update", {"worker_sid": "WK1"}),
        ("reservation.rejected", {"task_sid": "WT2", "worker_sid": "WK2"}),
        ("reservation.created", {"task_sid": "WT3", "worker_sid": "WK3"}),
        ("reservation.accepted", {"task_sid": "WT2", "worker_sid": "WK1"}),
        ("reservation.completed", {"task_sid": "WT4", "worker_sid": "WK1"}),
    ]
    work = work_for(events)
    assert work.tasks == ["WT1", "WT2"]
    assert work.workers == ["WK1", "WK2"]
    assert not work_for([("reservation.created", {"task_sid": "WT9", "worker_sid": "WK9"})])


def test_an_update_routes_its_task_only_while_the_task_waits():
    def updated(status: str) -> tuple[str, dict[str, str]]:
        return ("task.updated", {"task_sid": f"WT-{status}", "task_assignment_status": status})

    statuses = ["pending", "reserved", "assigned", "wrapping", "completed", "canceled"]
    work = work_for(updated(status) for status in statuses)
    assert work.tasks == ["WT-pending"]
    assert work.workers == []
    # An offer ending lets a reserved task wait again: that routes it, whatever its status read.
    ended = ("reservation.rejected", {"task_sid": "WT1", "task_assignment_status": "reserved"})
    assert work_for([ended]).tasks == ["WT1"]
