"""The statistics arithmetic, without a database: windows, thresholds, counts, durations."""

from __future__ import annotations

import pytest

from hindsight.domain import statistics as st
from hindsight.domain.errors import InvalidParameter

NOW = 10_000_000_000  # ms
MINUTE = 60_000


def ev(kind: str, at_ms: int = NOW, task: str | None = None, **data: str) -> st.LoggedEvent:
    return st.LoggedEvent(event_type=kind, at_ms=at_ms, task_sid=task, data=data)


# --- window -------------------------------------------------------------------------------


def test_window_defaults_to_the_last_15_minutes():
    assert st.window(NOW) == st.Window(NOW - 15 * MINUTE, NOW)


def test_window_minutes_count_back_from_now():
    assert st.window(NOW, minutes=60) == st.Window(NOW - 60 * MINUTE, NOW)


def test_window_start_alone_runs_to_now_and_both_dates_bound_it():
    assert st.window(NOW, start_ms=NOW - 5) == st.Window(NOW - 5, NOW)
    assert st.window(NOW, start_ms=100, end_ms=200) == st.Window(100, 200)


def test_window_end_alone_closes_15_minutes():
    assert st.window(NOW, end_ms=NOW - MINUTE) == st.Window(NOW - 16 * MINUTE, NOW - MINUTE)


def test_window_may_be_one_instant_and_holds_both_ends():
    window = st.window(NOW, start_ms=500, end_ms=500)
    assert window.holds(500)
    assert not window.holds(499)
    assert not window.holds(501)


def test_window_huge_minutes_clamp_at_the_epoch():
    assert st.window(NOW, minutes=10**12).start_ms == 0


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"minutes": 0}, "at least 1"),
        ({"minutes": -5}, "at least 1"),
        ({"minutes": 5, "start_ms": 1}, "cannot be combined"),
        ({"minutes": 5, "end_ms": 1}, "cannot be combined"),
        ({"start_ms": 300, "end_ms": 200}, "after EndDate"),
        ({"start_ms": NOW + 1}, "future"),
    ],
)
def test_window_refuses_contradictions(kwargs, fragment):
    with pytest.raises(InvalidParameter, match=fragment):
        st.window(NOW, **kwargs)


# --- thresholds ---------------------------------------------------------------------------


def test_thresholds_are_sorted_unique_seconds():
    assert st.parse_thresholds("60, 20,20,0") == (0, 20, 60)


@pytest.mark.parametrize("text", ["", " , ", "abc", "10,x", "-5", "1.5", "٣"])
def test_thresholds_refuse_anything_but_whole_seconds(text):
    with pytest.raises(InvalidParameter, match="SplitByWaitTime"):
        st.parse_thresholds(text)


def test_thresholds_are_capped():
    with pytest.raises(InvalidParameter, match="at most"):
        st.parse_thresholds(",".join(str(i) for i in range(st.MAX_THRESHOLDS + 1)))


# --- real-time task figures ---------------------------------------------------------------


def test_count_tasks_of_nothing_is_all_zero():
    counts = st.count_tasks([], NOW)
    assert counts.by_status == {"pending": 0, "reserved": 0, "assigned": 0, "wrapping": 0}
    assert counts.by_priority == {}
    assert counts.total == 0
    assert counts.longest_waiting_sid is None
    assert counts.longest_waiting_age == 0
    assert counts.longest_in_queue_sid is None
    assert counts.longest_in_queue_age == 0


def test_count_tasks_by_status_and_priority_leaves_finished_tasks_out():
    tasks = [
        st.TaskRow("WT1", "pending", 0, NOW - 1000),
        st.TaskRow("WT2", "reserved", 5, NOW - 1000),
        st.TaskRow("WT3", "assigned", 5, NOW - 1000),
        st.TaskRow("WT4", "wrapping", 10, NOW - 1000),
        st.TaskRow("WT5", "completed", 10, NOW - 1000),
        st.TaskRow("WT6", "canceled", 99, NOW - 1000),
    ]
    counts = st.count_tasks(tasks, NOW)
    assert counts.by_status == {"pending": 1, "reserved": 1, "assigned": 1, "wrapping": 1}
    assert counts.by_priority == {"0": 1, "5": 2, "10": 1}
    assert counts.total == 4


def test_longest_waiting_is_the_oldest_unaccepted_task():
    tasks = [
        st.TaskRow("WTassigned", "assigned", 0, NOW - 900_000, NOW - 900_000),
        st.TaskRow("WTold", "reserved", 0, NOW - 90_500, NOW - 1_000),
        st.TaskRow("WTnew", "pending", 0, NOW - 30_000, NOW - 20_000),
    ]
    counts = st.count_tasks(tasks, NOW)
    assert (counts.longest_waiting_sid, counts.longest_waiting_age) == ("WTold", 90)
    # In the queue, the task that entered it first: WTnew has waited there 20 s.
    assert (counts.longest_in_queue_sid, counts.longest_in_queue_age) == ("WTnew", 20)


def test_longest_waiting_ties_break_by_sid_and_ages_never_go_negative():
    tasks = [
        st.TaskRow("WTb", "pending", 0, NOW + 5_000),
        st.TaskRow("WTa", "pending", 0, NOW + 5_000),
    ]
    counts = st.count_tasks(tasks, NOW)
    assert (counts.longest_waiting_sid, counts.longest_waiting_age) == ("WTa", 0)
    assert counts.longest_in_queue_sid is None


# --- workers by activity ------------------------------------------------------------------


def test_workers_by_activity_lists_every_activity_in_order():
    activities = [st.ActivityRef("WA1", "Offline"), st.ActivityRef("WA2", "Available")]
    counts = st.workers_by_activity(activities, ["WA2", "WA2", "WA9"])
    assert counts == [
        st.ActivityCount("WA1", "Offline", 0),
        st.ActivityCount("WA2", "Available", 2),
    ]
    assert st.workers_by_activity([], []) == []


# --- durations ----------------------------------------------------------------------------


def test_durations_of_nothing_are_zero():
    assert st.Durations.of([]) == st.Durations(avg=0, min=0, max=0, total=0)


def test_durations_average_rounds_halves_up():
    assert st.Durations.of([1, 2]) == st.Durations(avg=2, min=1, max=2, total=3)
    assert st.Durations.of([1, 1, 2]) == st.Durations(avg=1, min=1, max=2, total=4)
    assert st.Durations.of([7]) == st.Durations(avg=7, min=7, max=7, total=7)


# --- cumulative ---------------------------------------------------------------------------


def test_cumulative_of_no_events_is_all_zero():
    figures = st.cumulative([])
    assert figures == st.Cumulative()
    assert figures.split_by_wait_time is None
    assert st.cumulative([], thresholds=(10,)).split_by_wait_time == (
        st.Split(10, st.SplitCounts(), st.SplitCounts()),
    )


def test_cumulative_counts_each_kind_of_event():
    events = [
        ev("task.created", task="WT1"),
        ev("task.created", task="WT2"),
        ev("reservation.created", task="WT1"),
        ev("reservation.created", task="WT1"),
        ev("reservation.rejected", task="WT1"),
        ev("reservation.timeout", task="WT1"),
        ev("reservation.accepted", task="WT1", task_age="4"),
        ev("reservation.rescinded", task="WT1"),
        ev("reservation.canceled", task="WT2"),
        ev("task.completed", task="WT1"),
        ev("task.canceled", task="WT2", task_age="30"),
        ev("task.deleted", task="WT2"),
        ev("task-queue.moved", task="WT2"),
        ev("workflow.timeout", task="WT2"),
        ev("task.updated", task="WT1"),
    ]
    figures = st.cumulative(events)
    assert figures.tasks_created == 2
    assert figures.reservations_created == 2
    assert figures.reservations_rejected == 1
    assert figures.reservations_timed_out == 1
    assert figures.reservations_accepted == 1
    assert figures.reservations_rescinded == 1
    assert figures.reservations_canceled == 1
    assert figures.tasks_completed == 1
    assert figures.tasks_canceled == 1
    assert figures.tasks_deleted == 1
    assert figures.tasks_moved == 1
    assert figures.tasks_timed_out_in_workflow == 1


def test_tasks_entered_counts_distinct_tasks_of_the_scope_entry_types():
    events = [
        ev("task-queue.entered", task="WT1"),
        ev("task-queue.entered", task="WT1"),  # re-entered after an attribute change
        ev("task-queue.moved", task="WT2"),
        ev("workflow.entered", task="WT3"),
    ]
    assert st.cumulative(events).tasks_entered == 2
    assert st.cumulative(events, entry_types=st.WORKFLOW_ENTRY).tasks_entered == 1


def test_waits_come_from_the_task_age_the_events_recorded():
    events = [
        ev("reservation.accepted", task="WT1", task_age="10"),
        ev("reservation.accepted", task="WT2", task_age="21"),
        ev("task.canceled", task="WT3", task_age="5"),
        ev("reservation.accepted", task="WT4"),  # no age recorded: not a wait
        ev("task.canceled", task="WT5", task_age="garbage"),
    ]
    figures = st.cumulative(events)
    assert figures.wait_until_accepted == st.Durations(avg=16, min=10, max=21, total=31)
    assert figures.avg_task_acceptance_time == 16
    assert figures.wait_until_canceled == st.Durations(avg=5, min=5, max=5, total=5)


def test_wait_in_queue_runs_from_entering_the_queue():
    entered_s = NOW // 1000 - 7
    events = [
        ev(
            "reservation.accepted",
            NOW,
            "WT1",
            task_age="60",
            task_queue_entered_date=str(entered_s),
        )
    ]
    figures = st.cumulative(events)
    assert figures.wait_in_queue_until_accepted == st.Durations(avg=7, min=7, max=7, total=7)
    assert figures.wait_until_accepted.total == 60


def test_split_by_wait_time_puts_a_wait_equal_to_the_threshold_below():
    events = [
        ev("reservation.accepted", task="WT1", task_age="5"),
        ev("reservation.accepted", task="WT2", task_age="20"),
        ev("reservation.accepted", task="WT3", task_age="21"),
        ev("task.canceled", task="WT4", task_age="3"),
        ev("task.canceled", task="WT5", task_age="100"),
    ]
    (at_20, at_60) = st.cumulative(events, thresholds=(20, 60)).split_by_wait_time
    assert at_20 == st.Split(
        20,
        above=st.SplitCounts(tasks_canceled=1, reservations_accepted=1),
        below=st.SplitCounts(tasks_canceled=1, reservations_accepted=2),
    )
    assert at_60 == st.Split(
        60,
        above=st.SplitCounts(tasks_canceled=1, reservations_accepted=0),
        below=st.SplitCounts(tasks_canceled=1, reservations_accepted=3),
    )


# --- activity durations -------------------------------------------------------------------


def _moved(previous: str, ms: int, name: str = "") -> st.LoggedEvent:
    return ev(
        "worker.activity.update",
        worker_previous_activity_sid=previous,
        worker_previous_activity_name=name,
        worker_time_in_previous_activity_ms=str(ms),
    )


def test_activity_durations_are_per_stint_and_list_every_activity():
    activities = [st.ActivityRef("WA1", "Offline"), st.ActivityRef("WA2", "Available")]
    events = [
        _moved("WA1", 100_900),  # 100 s
        _moved("WA1", 50_000),
        _moved("WA1", 30_999),  # 30 s
        ev("reservation.created"),
    ]
    offline, available = st.activity_durations(activities, events)
    assert (offline.sid, offline.friendly_name) == ("WA1", "Offline")
    assert offline.durations == st.Durations(avg=60, min=30, max=100, total=180)
    assert available.durations == st.Durations()


def test_activity_durations_keep_activities_since_deleted_and_skip_broken_events():
    events = [
        _moved("WAgone", 2_000, "Lunch"),
        _moved("", 5_000),
        ev("worker.activity.update", worker_previous_activity_sid="WA1"),
    ]
    (gone,) = st.activity_durations([], events)
    assert (gone.sid, gone.friendly_name, gone.durations.total) == ("WAgone", "Lunch", 2)
    assert st.activity_durations([], []) == []
