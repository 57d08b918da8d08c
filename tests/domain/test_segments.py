"""Segments, measures and conversation attributes (flex-insights-domain.md §4 and §8).

Pure rules, no database. A `Script` applies TaskRouter events to a task's track exactly as the
projector does (every changed slot's segment is recomputed and replaces the previous one), so
each scenario reads like the event log that produces it. Tests are named after the checklist
item they cover.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.domain import conversation_attributes as conv
from hindsight.domain import segments as seg
from hindsight.domain.attributes import parse_lenient
from hindsight.insights.derive import (
    ProjectionOptions,
    conversation_row,
    segment_row,
)

AC = "AC" + "0" * 32
WS = "WS" + "0" * 32
L1, L2 = "WQ" + "1" * 32, "WQ" + "2" * 32
AGENT_A, AGENT_B, AGENT_C = ("WK" + c * 32 for c in "abc")
NAMES = {AGENT_A: "Agent A", AGENT_B: "Agent B", AGENT_C: "Agent C"}
QUEUES = {L1: "L1", L2: "L2"}
T0 = 1_700_000_000_000  # a whole second


def wt(n: int) -> str:
    return f"WT{n:032x}"


def wr(n: int) -> str:
    return f"WR{n:032x}"


class Script:
    """One task's events, applied as the projector applies them."""

    def __init__(self, task: str, attributes: dict | str | None = None) -> None:
        raw = attributes if isinstance(attributes, str) else json.dumps(attributes or {})
        self.track = seg.TaskTrack(
            task_sid=task,
            conversation=conv.conversation_key(parse_lenient(raw), task),
            attributes=raw,
            channel="voice",
            workflow="Inbound",
        )
        self.segments: dict[str, seg.SegmentFacts] = {}

    def event(self, at: int, event_type: str, **data: str) -> Script:
        for slot in seg.apply(self.track, event_type, data, at):
            facts = seg.facts(self.track, slot)
            if facts is not None:
                self.segments[facts.segment_id] = facts
        return self

    # The events, by what happened.
    def enters(self, at: int, queue: str) -> Script:
        return self.event(
            at, "task-queue.entered", task_queue_sid=queue, task_queue_name=QUEUES[queue]
        )

    def offered(self, at: int, reservation: str, worker: str) -> Script:
        return self.event(
            at,
            "reservation.created",
            reservation_sid=reservation,
            worker_sid=worker,
            worker_name=NAMES[worker],
        )

    def reservation(self, at: int, outcome: str, reservation: str) -> Script:
        return self.event(at, f"reservation.{outcome}", reservation_sid=reservation)

    def task(self, at: int, outcome: str, reason: str | None = None) -> Script:
        data = {f"task_{outcome}_reason": reason} if reason else {}
        return self.event(at, f"task.{outcome}", **data)

    def ordered(self) -> list[seg.SegmentFacts]:
        return sorted(self.segments.values(), key=lambda f: (f.start_ms, f.segment_id))

    def kinds(self) -> list[str]:
        return [f.kind for f in self.ordered()]

    def one(self, kind: str) -> seg.SegmentFacts:
        (found,) = [f for f in self.segments.values() if f.kind == kind]
        return found

    def rows(self, **options: Any) -> list[dict[str, Any]]:
        return [
            segment_row(
                facts,
                self.track,
                account_sid=AC,
                workspace_sid=WS,
                options=ProjectionOptions(**options),
                now_ms=0,
            )
            for facts in self.ordered()
        ]


def handled(task: str, attributes: dict | str | None = None, at: int = T0) -> Script:
    """Queue L1 → Agent A accepts → wrap-up → completed."""
    return (
        Script(task, attributes)
        .enters(at, L1)
        .offered(at + 2_000, wr(1), AGENT_A)
        .reservation(at + 5_000, "accepted", wr(1))
        .task(at + 65_000, "wrapup")
        .reservation(at + 65_000, "wrapup", wr(1))
        .task(at + 80_000, "completed", "resolved")
        .reservation(at + 80_000, "completed", wr(1))
    )


# --- 10. conversation grouping ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "key"),
    [
        ({"conversations": {"conversation_id": "C-1"}, "call_sid": "CA1"}, "C-1"),
        ({"task_attributes": {"conversations": {"conversation_id": "C-1"}}}, "C-1"),
        ({"conversations": {"conversation_id": 42}}, "42"),
        ({"conversations": {"conversation_id": ""}, "call_sid": "CA1"}, "CA1"),
        ({"conversations": {"conversation_id": None}, "call_sid": "CA1"}, "CA1"),
        ({"conversations": {"segment_link": "https://x.org"}, "call_sid": "CA1"}, "CA1"),
        ({"call_sid": "CA1"}, "CA1"),
        ({"call_sid": ""}, wt(7)),
        ({"call_sid": 5}, wt(7)),
        ({}, wt(7)),
        ({"conversations": "not an object"}, wt(7)),
    ],
)
def test_item_10_grouping_is_by_conversation_id_then_call_sid_then_task_sid(attributes, key):
    assert conv.conversation_key(attributes, wt(7)) == key


def test_item_10_a_long_conversation_id_is_cut_like_any_text_attribute():
    key = conv.conversation_key({"conversations": {"conversation_id": "c" * 200}}, wt(1))
    assert key == "c" * 128


def test_item_10_three_tasks_sharing_a_conversation_id_form_one_conversation_in_order():
    first = wt(1)
    link = {"conversations": {"conversation_id": first}}
    tasks = [
        handled(first, at=T0),  # the first task need not carry the id: its SID is the key
        handled(wt(2), link, at=T0 + 100_000),
        handled(wt(3), link, at=T0 + 200_000),
    ]
    assert {t.track.conversation for t in tasks} == {first}
    rows = sorted(
        (row for t in tasks for row in t.rows()), key=lambda r: (r["start_ms"], r["segment_id"])
    )
    assert [(r["task_sid"], r["kind"]) for r in rows] == [
        (first, seg.QUEUE),
        (first, seg.CONVERSATION),
        (wt(2), seg.QUEUE),
        (wt(2), seg.CONVERSATION),
        (wt(3), seg.QUEUE),
        (wt(3), seg.CONVERSATION),
    ]
    summary = conversation_row(rows, account_sid=AC, workspace_sid=WS, now_ms=0)
    assert summary is not None
    assert summary["conversation_id"] == first
    assert summary["segment_count"] == 6
    assert (summary["start_ms"], summary["end_ms"]) == (T0, T0 + 280_000)
    assert summary["handled"] and not summary["abandoned"] and not summary["in_progress"]
    assert summary["talk_time"] == 3 * 60
    assert summary["wrap_up_time"] == 3 * 15


# --- 11. segment kinds ------------------------------------------------------------------------


def test_item_11_the_kinds_are_exactly_the_eight_insights_kinds():
    assert set(seg.KINDS) == {
        "Queue",
        "Conversation",
        "Conversation in Progress",
        "Missed Conversation",
        "Rejected Conversation",
        "Agent Status",
        "Agent Status in Progress",
        "Corrupted Conversation Segment",
    }
    assert len(seg.KINDS) == 8


def test_item_11_waiting_in_queue_gives_an_open_queue_segment():
    script = Script(wt(1)).enters(T0, L1).offered(T0 + 1_000, wr(1), AGENT_A)
    (queue,) = script.ordered()  # a pending offer is no segment yet
    assert (queue.kind, queue.queue_name, queue.end_ms) == (seg.QUEUE, "L1", None)


def test_item_11_accept_gives_queue_and_conversation_in_progress():
    script = (
        Script(wt(1))
        .enters(T0, L1)
        .offered(T0 + 1_000, wr(1), AGENT_A)
        .reservation(T0 + 3_000, "accepted", wr(1))
    )
    assert script.kinds() == [seg.QUEUE, seg.IN_PROGRESS]
    queue, talk = script.ordered()
    assert (queue.end_ms, queue.queue_time) == (T0 + 3_000, 3)
    assert (talk.agent_name, talk.worker_sid, talk.reservation_sid) == ("Agent A", AGENT_A, wr(1))
    assert (talk.end_ms, talk.talk_time, talk.wrap_up_time) == (None, 0, 0)
    assert (talk.queue_time, talk.ring_time) == (3, 2)


def test_item_11_completion_turns_the_segment_in_progress_into_a_conversation():
    script = handled(wt(1))
    assert script.kinds() == [seg.QUEUE, seg.CONVERSATION]
    talk = script.one(seg.CONVERSATION)
    assert talk.segment_id == seg.segment_id(wt(1), "offer", wr(1))  # the same slot, replaced
    assert (talk.outcome, talk.end_ms, talk.abandoned) == ("resolved", T0 + 80_000, "No")


def test_item_11_completing_the_task_ends_an_agent_still_on_it():
    script = (
        Script(wt(1))
        .enters(T0, L1)
        .offered(T0, wr(1), AGENT_A)
        .reservation(T0 + 1_000, "accepted", wr(1))
        .task(T0 + 9_000, "completed")  # no reservation.completed logged
    )
    assert script.kinds() == [seg.QUEUE, seg.CONVERSATION]
    assert script.one(seg.CONVERSATION).talk_time == 8


def test_item_11_a_rejected_offer_gives_a_rejected_conversation():
    script = (
        Script(wt(1))
        .enters(T0, L1)
        .offered(T0 + 1_000, wr(1), AGENT_A)
        .reservation(T0 + 4_000, "rejected", wr(1))
        .offered(T0 + 5_000, wr(2), AGENT_B)
        .reservation(T0 + 7_000, "accepted", wr(2))
        .task(T0 + 20_000, "completed")
        .reservation(T0 + 20_000, "completed", wr(2))
    )
    assert script.kinds() == [seg.QUEUE, seg.REJECTED, seg.CONVERSATION]
    rejected = script.one(seg.REJECTED)
    assert (rejected.agent_name, rejected.ring_time, rejected.outcome) == ("Agent A", 3, "rejected")
    talk = script.one(seg.CONVERSATION)
    assert (talk.agent_name, talk.ring_time, talk.queue_time) == ("Agent B", 2, 7)


@pytest.mark.parametrize("outcome", ["timeout", "canceled"])
def test_item_11_timed_out_and_canceled_offers_give_missed_conversations(outcome):
    script = (
        Script(wt(1))
        .enters(T0, L1)
        .offered(T0 + 1_000, wr(1), AGENT_A)
        .reservation(T0 + 3_000, outcome, wr(1))
    )
    assert script.kinds() == [seg.QUEUE, seg.MISSED]
    missed = script.one(seg.MISSED)
    assert (missed.agent_name, missed.ring_time, missed.outcome) == ("Agent A", 2, outcome)
    assert script.one(seg.QUEUE).end_ms is None  # the customer is still waiting


def test_item_11_a_rescinded_offer_makes_no_segment():
    script = (
        Script(wt(1))
        .enters(T0, L1)
        .offered(T0, wr(1), AGENT_A)
        .offered(T0, wr(2), AGENT_B)
        .reservation(T0 + 2_000, "accepted", wr(1))
        .reservation(T0 + 2_000, "rescinded", wr(2))
    )
    assert script.kinds() == [seg.QUEUE, seg.IN_PROGRESS]


def test_item_11_a_task_canceled_in_queue_gives_an_abandoned_queue_and_conversation():
    script = (
        Script(wt(1))
        .enters(T0, L1)
        .offered(T0 + 4_000, wr(1), AGENT_A)
        .task(T0 + 6_000, "canceled", "hangup")
        .reservation(T0 + 6_000, "canceled", wr(1))
    )
    assert script.kinds() == [seg.QUEUE, seg.MISSED, seg.CONVERSATION]
    queue = script.one(seg.QUEUE)
    talk = script.one(seg.CONVERSATION)
    for abandoned in (queue, talk):
        assert (abandoned.abandoned, abandoned.abandoned_phase) == ("Yes", "Queue")
        assert (abandoned.queue_time, abandoned.abandon_time) == (6, 6)
        assert abandoned.outcome == "hangup"
    assert (talk.worker_sid, talk.agent_name, talk.queue_name) == (None, None, "L1")
    assert talk.end_ms == T0 + 6_000
    assert seg.handling_time(talk, "inbound") == 0


def test_item_11_abandoned_conversation_comes_after_its_queue_segment():
    """Ties at the same instant would order by segment id (a hash): the abandoned Conversation
    must still come after its Queue, as in every conversation listing."""
    for n in range(20):
        script = Script(wt(n)).enters(T0, L1).task(T0 + 1_500, "canceled")
        assert script.kinds() == [seg.QUEUE, seg.CONVERSATION], n


def test_item_11_completed_without_accept_is_corrupted():
    script = (
        Script(wt(1))
        .enters(T0, L1)
        .offered(T0 + 1_000, wr(1), AGENT_A)
        .reservation(T0 + 9_000, "completed", wr(1))  # reservation.accepted is missing
    )
    assert seg.CORRUPTED in script.kinds()
    corrupted = script.one(seg.CORRUPTED)
    assert (corrupted.reservation_sid, corrupted.end_ms) == (wr(1), T0 + 9_000)
    assert (corrupted.talk_time, corrupted.ring_time) == (0, 0)


def test_item_11_wrapup_without_accept_is_corrupted():
    script = Script(wt(1)).enters(T0, L1).offered(T0 + 1_000, wr(1), AGENT_A)
    script.reservation(T0 + 2_000, "wrapup", wr(1))
    assert script.kinds() == [seg.QUEUE, seg.CORRUPTED]


def test_item_11_cold_transfer_gives_four_segments():
    first = (
        Script(wt(1), {"conversations": {"conversation_id": wt(1)}})
        .enters(T0, L1)
        .offered(T0 + 1_000, wr(1), AGENT_A)
        .reservation(T0 + 2_000, "accepted", wr(1))
    )
    second = (
        Script(wt(2), {"conversations": {"conversation_id": wt(1)}, "transfer_to": "L2"})
        .enters(T0 + 30_000, L2)
        .offered(T0 + 31_000, wr(2), AGENT_B)
    )
    first.task(T0 + 32_000, "completed").reservation(T0 + 32_000, "completed", wr(1))
    second.reservation(T0 + 35_000, "accepted", wr(2))
    second.task(T0 + 95_000, "completed").reservation(T0 + 95_000, "completed", wr(2))

    assert first.track.conversation == second.track.conversation == wt(1)
    segments = sorted(
        [*first.segments.values(), *second.segments.values()], key=lambda f: f.start_ms
    )
    assert [(f.kind, f.queue_name, f.agent_name) for f in segments] == [
        (seg.QUEUE, "L1", None),
        (seg.CONVERSATION, "L1", "Agent A"),
        (seg.QUEUE, "L2", None),
        (seg.CONVERSATION, "L2", "Agent B"),
    ]
    assert [f.queue_time for f in segments] == [2, 2, 5, 5]
    assert [f.talk_time for f in segments] == [0, 30, 0, 60]


def test_item_11_agent_status_segments_follow_activity_changes():
    first = seg.agent_status(
        {
            "worker_sid": AGENT_A,
            "worker_name": "Agent A",
            "worker_activity_sid": "WA2",
            "worker_activity_name": "Break",
            "worker_previous_activity_sid": "WA1",
            "worker_previous_activity_name": "Available",
            "worker_time_in_previous_activity_ms": "61999",
        },
        T0 + 61_999,
    )
    assert [(s.kind, s.activity, s.activity_time) for s in first] == [
        (seg.AGENT_STATUS, "Available", 61),  # :00.000 → 1:01.999
        (seg.AGENT_STATUS_IN_PROGRESS, "Break", 0),
    ]
    assert (first[0].start_ms, first[0].end_ms) == (T0, T0 + 61_999)
    assert first[1].end_ms is None
    second = seg.agent_status(
        {
            "worker_sid": AGENT_A,
            "worker_activity_sid": "WA3",
            "worker_activity_name": "Offline",
            "worker_previous_activity_sid": "WA2",
            "worker_previous_activity_name": "Break",
            "worker_time_in_previous_activity_ms": "300000",
        },
        T0 + 361_999,
    )
    # The finished Break stint takes the place (the id) of the Break stint in progress.
    assert second[0].segment_id == first[1].segment_id
    assert (second[0].kind, second[0].activity, second[0].activity_time) == (
        seg.AGENT_STATUS,
        "Break",
        300,
    )


def test_item_11_an_activity_change_without_a_previous_stint_only_opens_one():
    (only,) = seg.agent_status({"worker_sid": AGENT_A, "worker_activity_sid": "WA1"}, T0)
    assert only.kind == seg.AGENT_STATUS_IN_PROGRESS


# --- 12. measures -----------------------------------------------------------------------------


def lifecycle_example() -> tuple[Script, Script]:
    """SEGMENT-KINDS' example: Queue(L1) → Conversation(L1, agent A) → Queue(L2, abandoned) →
    Missed Conversation(agent B rang 2 s) → Conversation(L2, abandoned).

    Times carry milliseconds on purpose: Insights drops them from every timestamp (TaskRouter
    sends whole epoch seconds), so each measure is a difference of whole seconds.
    """
    link = {"conversations": {"conversation_id": wt(1)}}
    first = (
        Script(wt(1), link)
        .enters(T0 + 900, L1)  # :00.900
        .offered(T0 + 3_200, wr(1), AGENT_A)  # :03.200
        .reservation(T0 + 12_100, "accepted", wr(1))  # :12.100
        .task(T0 + 100_500, "wrapup")
        .reservation(T0 + 100_500, "wrapup", wr(1))  # 1:40.500
        .task(T0 + 130_999, "completed", "transferred")
        .reservation(T0 + 130_999, "completed", wr(1))  # 2:10.999
    )
    second = (
        Script(wt(2), link)
        .enters(T0 + 131_400, L2)  # 2:11.400
        .offered(T0 + 140_700, wr(2), AGENT_B)  # 2:20.700
        .reservation(T0 + 142_300, "timeout", wr(2))  # 2:22.300: rang "2 s"
        .task(T0 + 150_050, "canceled", "hangup")  # 2:30.050
    )
    return first, second


def test_item_12_the_lifecycle_example_gives_the_documented_segments_and_measures():
    first, second = lifecycle_example()
    rows = sorted([*first.rows(), *second.rows()], key=lambda r: (r["start_ms"], r["segment_id"]))
    measures = ("queue_time", "ring_time", "talk_time", "wrap_up_time", "abandon_time")
    assert [
        (r["kind"], r["queue_name"], r["agent_name"], r["abandoned"], *(r[m] for m in measures))
        for r in rows
    ] == [
        # kind, queue, agent, abandoned, queue, ring, talk, wrap-up, abandon (whole seconds)
        (seg.QUEUE, "L1", None, "No", 12, 0, 0, 0, 0),
        (seg.CONVERSATION, "L1", "Agent A", "No", 12, 9, 88, 30, 0),
        (seg.QUEUE, "L2", None, "Yes", 19, 0, 0, 0, 19),
        (seg.MISSED, "L2", "Agent B", "No", 0, 2, 0, 0, 0),
        (seg.CONVERSATION, "L2", None, "Yes", 19, 0, 0, 0, 19),
    ]
    assert [r["handling_time"] for r in rows] == [0, 88 + 30, 0, 0, 0]
    assert {r["conversation_id"] for r in rows} == {wt(1)}
    summary = conversation_row(rows, account_sid=AC, workspace_sid=WS, now_ms=0)
    assert summary is not None
    assert (summary["segment_count"], summary["agent"], summary["queue"]) == (5, "Agent A", "L1")
    assert (summary["queue_time"], summary["talk_time"], summary["abandon_time"]) == (31, 88, 19)
    assert summary["handled"] and not summary["abandoned"]


@pytest.mark.parametrize(
    ("start", "end", "whole"),
    [
        (T0 + 999, T0 + 1_000, 1),  # 1 ms apart, across a second boundary
        (T0, T0 + 999, 0),
        (T0 + 1, T0 + 999, 0),
        (T0 + 1, T0 + 1_999, 1),
        (T0 + 500, T0 + 2_400, 2),
        (T0 + 2_000, T0 + 1_000, 0),  # never negative
        (None, T0, 0),
        (T0, None, 0),
    ],
)
def test_item_12_milliseconds_are_dropped_from_each_timestamp(start, end, whole):
    assert seg.seconds(start, end) == whole


@given(
    st.integers(0, 10**9),
    st.integers(0, 10**7),
    st.integers(0, 10**7),
)
def test_item_12_ring_time_is_counted_inside_queue_time(entered, to_offer, to_answer):
    script = (
        Script(wt(1))
        .enters(entered, L1)
        .offered(entered + to_offer, wr(1), AGENT_A)
        .reservation(entered + to_offer + to_answer, "accepted", wr(1))
    )
    talk = script.one(seg.IN_PROGRESS)
    assert talk.queue_time == seg.seconds(entered, entered + to_offer + to_answer)
    assert talk.ring_time == seg.seconds(entered + to_offer, entered + to_offer + to_answer)
    assert 0 <= talk.ring_time <= talk.queue_time


def test_item_12_outbound_handling_time_includes_ring_time_and_inbound_does_not():
    talk = handled(wt(1)).one(seg.CONVERSATION)
    assert (talk.ring_time, talk.talk_time, talk.wrap_up_time) == (3, 60, 15)
    assert seg.handling_time(talk, "Inbound") == 75
    assert seg.handling_time(talk, None) == 75
    assert seg.handling_time(talk, "Outbound") == 78


def test_item_12_caller_supplied_time_values_override_the_computed_measures():
    attributes = {
        "direction": "inbound",
        "conversations": {"talk_time": 99, "queue_time": "7", "hold_time": 4, "wrap_up_time": "x"},
    }
    rows = {r["kind"]: r for r in handled(wt(1), attributes).rows()}
    talk = rows[seg.CONVERSATION]
    assert (talk["talk_time"], talk["queue_time"], talk["hold_time"]) == (99, 7, 4)
    assert talk["wrap_up_time"] == 15  # not a number: computed value kept, key reported
    assert talk["handling_time"] == 99 + 15
    assert "conversations.wrap_up_time: not a number" in json.loads(talk["ignored"])
    assert json.loads(talk["measures"]) == {"talk_time": 99.0, "queue_time": 7.0, "hold_time": 4.0}
    # The Queue segment keeps its own measured queue time.
    assert rows[seg.QUEUE]["queue_time"] == 5


# --- 13. attribute constraints ----------------------------------------------------------------


def test_item_13_text_attributes_are_cut_to_128_characters_and_raw_is_kept_verbatim():
    long = "x" * 200
    raw = (
        '{ "conversations" : {"conversation_attribute_1": "'
        + long
        + '", "content": "'
        + long
        + '", "outcome": true, "virtual": false, "conversation_measure_1": "2.5"},'
        + ' "customers": {"name": "'
        + long
        + '"}}'
    )
    script = handled(wt(1), raw)
    view = conv.read(json.loads(raw))
    assert view.attributes["conversation_attribute_1"] == "x" * 128
    assert view.attributes["content"] == "x" * 128
    assert (view.attributes["outcome"], view.attributes["virtual"]) == ("Yes", "No")
    assert view.customer["name"] == "x" * 128
    assert view.measures == {"conversation_measure_1": 2.5}
    for row in script.rows():
        assert row["raw_attributes"] == raw  # byte for byte, spacing and all
        reportable = json.loads(row["attributes"])
        assert reportable["conversation_attribute_1"] == "x" * 128
        assert json.loads(row["customer"])["name"] == "x" * 128


def test_item_13_unknown_keys_are_ignored_and_reported():
    attributes = {
        "conversations": {"queue": "Sales", "favourite_colour": "blue", "media": []},
        "customers": {"name": "Ada", "shoe_size": 7},
        "unrelated_root_key": 1,
    }
    view = conv.read(attributes)
    assert view.attributes == {"queue": "Sales"}
    assert view.customer == {"name": "Ada"}
    assert view.ignored == ["conversations.favourite_colour", "customers.shoe_size"]
    row = handled(wt(1), attributes).rows()[0]
    assert json.loads(row["ignored"]) == view.ignored
    assert "favourite_colour" not in json.loads(row["attributes"])


def test_item_13_objects_and_lists_are_not_text_attributes():
    view = conv.read({"conversations": {"channel": {"a": 1}, "language": ["en"], "case": None}})
    assert view.attributes == {}


def test_item_13_attributes_that_are_not_a_json_object_read_as_empty():
    for raw in ("", "not json", "[1, 2]", '"text"'):
        assert parse_lenient(raw) == {}
    row = handled(wt(1), "not json").rows()[1]
    assert row["raw_attributes"] == "not json"
    assert json.loads(row["media"]) == []


# --- 14. media after completion ---------------------------------------------------------------


def test_item_14_media_written_after_completion_is_used_and_flagged_late():
    at_completion = {
        "conversations": {"outcome": "sold", "segment_link": "https://r.example.org/1"}
    }
    script = handled(wt(1), at_completion)
    before = script.rows()
    assert [r["media_level"] for r in before] == ["default", "default"]
    assert all(r["media_late_ms"] is None for r in before)

    later = {
        "conversations": {
            "outcome": "changed later",  # ignored: attributes are final at completion
            "media": [{"type": "Referenced", "url": "https://crm.example.org/7"}],
        }
    }
    script.track.late_attributes = json.dumps(later)
    script.track.late_media_ms = T0 + 180_000  # three minutes after completion
    for row in script.rows():
        assert row["media_late_ms"] == T0 + 180_000
        assert row["media_level"] == "task"
        assert [m["url"] for m in json.loads(row["media"])] == ["https://crm.example.org/7"]
        assert json.loads(row["attributes"])["outcome"] == "sold"
        assert row["raw_attributes"] == json.dumps(at_completion)


# --- 25. HIPAA --------------------------------------------------------------------------------

PHI = {
    "from": "+15550100",
    "caller_name": "Ada Lovelace",
    "direction": "inbound",
    "reason": "billing",
    "channelSid": "CH0123456789abcdef0123456789abcdef",
    "conversations": {
        "external_contact": "+15550199",
        "queue": "Billing",
        "favourite_colour": "blue",
        "media": [{"type": "Embedded", "url": "https://crm.example.org/1"}],
    },
    "customers": {
        "name": "A. L.",
        "phone": "+15550100",
        "email": "ada@example.org",
        "external_id": "C-1",
    },
}


def test_item_25_the_hipaa_filter_keeps_only_the_allow_list():
    kept = conv.hipaa_filter(PHI)
    assert set(kept) == {"direction", "reason", "channelSid", "conversations", "customers"}
    assert kept["conversations"] == {"queue": "Billing", "media": PHI["conversations"]["media"]}
    assert kept["customers"] == {"name": "A. L."}
    assert conv.hipaa_filter({"task_attributes": PHI}) == kept


def test_item_25_in_hipaa_mode_no_customer_contact_detail_is_stored():
    script = handled(wt(1), PHI)
    for row in script.rows(hipaa=True):
        stored = json.dumps({k: v for k, v in row.items() if k != "worker_attributes"})
        for secret in ("+15550100", "+15550199", "ada@example.org", "Ada Lovelace", "C-1"):
            assert secret not in stored, (secret, row["kind"])
        assert row["customer_key"] == f"conversation:{wt(1)}"  # no customer-journey linking
        assert json.loads(row["media"])[0]["url"] == "https://crm.example.org/1"
    # Without HIPAA mode the same data is reportable (and linked by the customer's id).
    plain = script.rows()[1]
    assert plain["customer_key"] == "external_id:C-1"
    assert json.loads(plain["customer"])["phone"] == "+15550100"


# --- 26. labels -------------------------------------------------------------------------------


def test_item_26_a_label_alone_makes_the_attribute_the_segment_id():
    attributes = {"conversation_label_2": "Order"}
    conv.apply_labels(attributes, "SG1")
    assert attributes == {"conversation_label_2": "Order", "conversation_attribute_2": "SG1"}


def test_item_26_an_attribute_alone_is_its_own_label_and_both_are_kept_as_given():
    attributes = {
        "conversation_attribute_1": "gold",
        "conversation_attribute_3": "A-17",
        "conversation_label_3": "Account",
    }
    conv.apply_labels(attributes, "SG1")
    assert attributes == {
        "conversation_attribute_1": "gold",
        "conversation_label_1": "gold",
        "conversation_attribute_3": "A-17",
        "conversation_label_3": "Account",
    }


def test_item_26_labels_are_applied_per_segment_in_the_projection():
    attributes = {
        "conversations": {"conversation_label_1": "Ticket", "conversation_attribute_10": "vip"}
    }
    for row in handled(wt(1), attributes).rows():
        reportable = json.loads(row["attributes"])
        assert reportable["conversation_attribute_1"] == row["segment_id"]
        assert reportable["conversation_label_10"] == "vip"


# --- 27. customer linking ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "key"),
    [
        (
            {"customers": {"external_id": "C-1", "phone": "+1555", "email": "a@x"}, "from": "+1"},
            "external_id:C-1",
        ),
        ({"customers": {"phone": "+1555", "email": "a@x"}, "from": "+1"}, "phone:+1555"),
        ({"customers": {"email": "a@x"}, "from": "+1"}, "email:a@x"),
        ({"from": "+1", "to": "+2"}, "address:+1"),
        ({"caller": "client:ada"}, "address:client:ada"),
        ({"direction": "outbound", "from": "+1", "to": "+2"}, "address:+2"),
        ({"conversations": {"direction": "Outbound"}, "from": "+1", "called": "+3"}, "address:+3"),
        ({"customers": {"external_id": ""}, "from": ""}, "conversation:CONV"),
        ({}, "conversation:CONV"),
    ],
)
def test_item_27_customer_linking_priority(attributes, key):
    assert conv.customer_key(conv.read(attributes), attributes, "CONV") == key


def test_item_27_conversations_sharing_a_phone_link_to_one_customer():
    one = handled(wt(1), {"customers": {"phone": "+15550100"}, "from": "+15550999"})
    two = handled(wt(2), {"customers": {"phone": "+15550100"}, "from": "+15550888"})
    three = handled(wt(3), {"customers": {"phone": "+15550100", "external_id": "C-9"}})
    keys = [t.rows()[1]["customer_key"] for t in (one, two, three)]
    assert keys == ["phone:+15550100", "phone:+15550100", "external_id:C-9"]
    assert one.track.conversation != two.track.conversation


# --- replay: the projector may stop between any two events ------------------------------------


def lifecycle_events() -> list[tuple[str, int, str, dict[str, str]]]:
    """(task, at, event type, data) of a busy task: rejection, acceptance, wrap-up, completion."""
    return [
        (wt(1), T0, "task-queue.entered", {"task_queue_sid": L1, "task_queue_name": "L1"}),
        (
            wt(1),
            T0 + 1_000,
            "reservation.created",
            {"reservation_sid": wr(1), "worker_sid": AGENT_A},
        ),
        (wt(1), T0 + 2_000, "reservation.rejected", {"reservation_sid": wr(1)}),
        (wt(1), T0 + 3_000, "task-queue.moved", {"task_queue_sid": L2, "task_queue_name": "L2"}),
        (
            wt(1),
            T0 + 4_000,
            "reservation.created",
            {"reservation_sid": wr(2), "worker_sid": AGENT_B},
        ),
        (wt(1), T0 + 6_000, "reservation.accepted", {"reservation_sid": wr(2)}),
        (wt(1), T0 + 9_000, "task.wrapup", {}),
        (wt(1), T0 + 9_000, "reservation.wrapup", {"reservation_sid": wr(2)}),
        (wt(1), T0 + 12_000, "task.completed", {"task_completed_reason": "done"}),
        (wt(1), T0 + 12_000, "reservation.completed", {"reservation_sid": wr(2)}),
    ]


def replay(split: int) -> dict[str, seg.SegmentFacts]:
    track = seg.TaskTrack(task_sid=wt(1), conversation=wt(1), attributes="{}")
    found: dict[str, seg.SegmentFacts] = {}
    for n, (_task, at, event_type, data) in enumerate(lifecycle_events()):
        if n == split:  # the projector stored the track and was restarted
            track = seg.TaskTrack.from_json(orjson.loads(orjson.dumps(track.to_json())))
        for slot in seg.apply(track, event_type, data, at):
            facts = seg.facts(track, slot)
            if facts is not None:
                found[facts.segment_id] = facts
    return found


@given(st.integers(0, len(lifecycle_events())))
def test_replay_gives_the_same_segments_wherever_the_projector_stopped(split):
    whole = replay(len(lifecycle_events()) + 1)
    assert replay(split) == whole
    assert sorted(f.kind for f in whole.values()) == sorted(
        [seg.QUEUE, seg.QUEUE, seg.REJECTED, seg.CONVERSATION]
    )


def test_a_track_serialises_as_asdict_does_and_reads_back():
    import dataclasses

    script = handled(wt(1), {"conversations": {"conversation_id": "C-1"}})
    script.offered(T0 + 90_000, wr(2), AGENT_B).reservation(T0 + 95_000, "rejected", wr(2))
    track = script.track
    document = track.to_json()
    expected = dataclasses.asdict(track)
    assert document == expected
    assert orjson.dumps(document) == orjson.dumps(expected)  # same key order: same stored text
    assert seg.TaskTrack.from_json(orjson.loads(orjson.dumps(document))) == track
    document["offers"][wr(1)]["outcome"] = "changed"
    assert track.offers[wr(1)].outcome == "completed"  # a copy, not the track's own state


def test_a_conversations_detail_opens_on_its_last_conversation_segment() -> None:
    talk, live, queue = "Conversation", "Conversation in Progress", "Queue"
    assert seg.main_segment([queue, talk, live, talk, queue]) == 3
    assert seg.main_segment([queue, live, queue]) == 1
    assert seg.main_segment([queue, queue]) == 1
