"""The conversation timeline built from segments: lanes per queue and agent, phases in order,
transfers between agents, and the header's first and last queue and agent in the order the
conversation went, never mixed across a transfer."""

from __future__ import annotations

from typing import Any

from hindsight.web.timeline import build

T0 = 1_700_000_000_000


def _queue(at: int, name: str, waited: int, **more: Any) -> dict[str, Any]:
    return {
        "kind": "Queue",
        "start_ms": T0 + at * 1000,
        "end_ms": T0 + (at + waited) * 1000,
        "queue_name": name,
        "queue_time": waited,
        **more,
    }


def _offer(at: int, agent: str, kind: str = "Conversation", **times: int) -> dict[str, Any]:
    length = sum(times.values())
    return {
        "kind": kind,
        "start_ms": T0 + at * 1000,
        "end_ms": T0 + (at + length) * 1000,
        "agent_name": agent,
        **times,
    }


TRANSFERRED = [
    _offer(80, "Bilal", ring_time=5, talk_time=120, wrap_up_time=10),
    _queue(0, "Sales", 20, customer={"name": "Ada Lovelace"}),
    _offer(20, "Alice", kind="Missed Conversation", ring_time=15),
    _offer(35, "Chen", ring_time=3, talk_time=40, hold_time=10, wrap_up_time=0),
    _queue(78, "Billing", 2),
]


def test_lanes_phases_and_transfers_of_a_transferred_call() -> None:
    timeline = build(TRANSFERRED)
    assert timeline is not None
    assert [(lane.name, lane.role) for lane in timeline.lanes] == [
        ("Sales", "queue"),
        ("Alice", "agent"),
        ("Chen", "agent"),
        ("Billing", "queue"),
        ("Bilal", "agent"),
    ]
    kinds = [(timeline.lanes[p.lane].name, p.kind) for p in timeline.phases]
    assert kinds == [
        ("Sales", "queue"),
        ("Alice", "missed"),
        ("Chen", "ring"),
        ("Chen", "talk"),
        ("Chen", "hold"),
        ("Billing", "queue"),
        ("Bilal", "ring"),
        ("Bilal", "talk"),
        ("Bilal", "wrap"),
    ]
    chen_hold = next(p for p in timeline.phases if p.kind == "hold")
    assert chen_hold.end_ms - chen_hold.start_ms == 10_000
    # A missed ring is no transfer: the call went from Chen to Bilal only.
    assert [
        (timeline.lanes[t.from_lane].name, timeline.lanes[t.to_lane].name)
        for t in timeline.transfers
    ] == [("Chen", "Bilal")]
    assert timeline.queues == ("Sales", "Billing")
    assert timeline.agents == ("Chen", "Bilal")
    assert timeline.customer == "Ada Lovelace"
    assert timeline.start_ms == T0 and timeline.end_ms == T0 + 215_000
    assert timeline.left(T0) == 0 and timeline.left(timeline.end_ms) == 100


def test_a_call_abandoned_in_the_queue() -> None:
    timeline = build([_queue(0, "Support", 0, abandoned="Yes", abandon_time=45)])
    assert timeline is not None
    assert [(p.kind, p.end_ms - p.start_ms) for p in timeline.phases] == [("abandoned", 45_000)]
    assert timeline.agents == () and timeline.customer is None


def test_no_segments_no_timeline() -> None:
    assert build([]) is None
    assert build([{"kind": "Agent Status", "start_ms": T0, "end_ms": T0}]) is None


def test_ticks_span_the_axis() -> None:
    timeline = build(TRANSFERRED)
    assert timeline is not None
    ticks = timeline.ticks(4)
    assert ticks[0] == (0, T0) and ticks[-1] == (100, timeline.end_ms) and len(ticks) == 5
