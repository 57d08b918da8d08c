"""A conversation on one time axis: each queue and each agent a lane, with its queue, ring,
talk, hold and wrap-up phases, and the transfers from one agent to the next (as Amazon Connect's
and Genesys's contact timelines show it). Built from the conversation's segments; the header it
gives names the first and the last queue and agent in the order they came, so a transferred
call does not show one agent's queue beside another's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hindsight.domain import segments as seg

_OFFERS = (seg.CONVERSATION, seg.IN_PROGRESS, seg.MISSED, seg.REJECTED)
# What a ring that was not answered ended as.
_UNANSWERED = {seg.MISSED: "missed", seg.REJECTED: "rejected"}
PHASE_NAMES = {
    "queue": "Queue",
    "abandoned": "Abandoned in queue",
    "ring": "Ring",
    "missed": "Ring, not answered",
    "rejected": "Ring, rejected",
    "talk": "Talk",
    "hold": "Hold",
    "wrap": "Wrap-up",
}


@dataclass(frozen=True)
class Lane:
    name: str
    role: str  # "queue" or "agent"


@dataclass(frozen=True)
class Phase:
    lane: int
    kind: str  # a key of PHASE_NAMES
    start_ms: int
    end_ms: int

    @property
    def label(self) -> str:
        return PHASE_NAMES[self.kind]


@dataclass(frozen=True)
class Transfer:
    at_ms: int
    from_lane: int
    to_lane: int


@dataclass(frozen=True)
class Timeline:
    lanes: tuple[Lane, ...]
    phases: tuple[Phase, ...]
    transfers: tuple[Transfer, ...]
    start_ms: int
    end_ms: int
    customer: str | None
    queues: tuple[str, ...]  # in the order the conversation went through them
    agents: tuple[str, ...]  # who talked, in order

    def left(self, at_ms: int) -> float:
        """Where `at_ms` is on the axis, in percent."""
        span = max(self.end_ms - self.start_ms, 1)
        return round(100 * (at_ms - self.start_ms) / span, 3)

    def width(self, phase: Phase) -> float:
        return max(round(self.left(phase.end_ms) - self.left(phase.start_ms), 3), 0.4)

    def ticks(self, count: int = 4) -> list[tuple[float, int]]:
        """(percent, instant) of evenly spaced marks along the axis, both ends included."""
        step = (self.end_ms - self.start_ms) / count
        return [
            (round(100 * k / count, 3), int(self.start_ms + k * step)) for k in range(count + 1)
        ]


def _seconds_ms(value: Any) -> int:
    return int(value or 0) * 1000


def _customer(segments: Iterable[Mapping[str, Any]]) -> str | None:
    for segment in segments:
        found = segment.get("customer") or {}
        for key in ("name", "phone", "email"):
            if found.get(key):
                return str(found[key])
    return None


class _Lanes:
    def __init__(self) -> None:
        self.lanes: list[Lane] = []

    def index(self, name: str, role: str) -> int:
        lane = Lane(name, role)
        if lane not in self.lanes:
            self.lanes.append(lane)
        return self.lanes.index(lane)


def _offer_phases(segment: Mapping[str, Any], lane: int) -> list[Phase]:
    at = int(segment["start_ms"])
    ring_end = at + _seconds_ms(segment.get("ring_time"))
    kind = segment["kind"]
    if kind in _UNANSWERED:
        end = max(ring_end, int(segment.get("end_ms") or ring_end))
        return [Phase(lane, _UNANSWERED[kind], at, end)]
    phases = [Phase(lane, "ring", at, ring_end)] if ring_end > at else []
    talk = _seconds_ms(segment.get("talk_time"))
    hold = min(_seconds_ms(segment.get("hold_time")), talk)
    # Hold is part of talk time; where in the call it fell is not recorded, so it is drawn
    # after the talking.
    if talk - hold > 0:
        phases.append(Phase(lane, "talk", ring_end, ring_end + talk - hold))
    if hold:
        phases.append(Phase(lane, "hold", ring_end + talk - hold, ring_end + talk))
    wrap = _seconds_ms(segment.get("wrap_up_time"))
    if wrap:
        phases.append(Phase(lane, "wrap", ring_end + talk, ring_end + talk + wrap))
    return phases


def build(segments: list[Mapping[str, Any]]) -> Timeline | None:
    ordered = sorted(
        (s for s in segments if s.get("kind") == seg.QUEUE or s.get("kind") in _OFFERS),
        key=lambda s: (int(s["start_ms"]), s["kind"] != seg.QUEUE),
    )
    if not ordered:
        return None
    lanes, phases, transfers = _Lanes(), [], []
    queues: list[str] = []
    agents: list[str] = []
    last_talker: int | None = None
    for segment in ordered:
        at = int(segment["start_ms"])
        if segment["kind"] == seg.QUEUE:
            name = segment.get("queue_name") or "Queue"
            lane = lanes.index(name, "queue")
            waited = _seconds_ms(segment.get("queue_time") or segment.get("abandon_time"))
            end = at + waited if waited else int(segment.get("end_ms") or at)
            gone = segment.get("abandoned") == "Yes"
            phases.append(Phase(lane, "abandoned" if gone else "queue", at, max(end, at)))
            if not queues or queues[-1] != name:
                queues.append(name)
            continue
        name = segment.get("agent_name") or "Agent"
        lane = lanes.index(name, "agent")
        phases.extend(_offer_phases(segment, lane))
        if segment["kind"] in _UNANSWERED:
            continue
        if last_talker is not None and last_talker != lane:
            transfers.append(Transfer(at, last_talker, lane))
        last_talker = lane
        if not agents or agents[-1] != name:
            agents.append(name)
    start = min(p.start_ms for p in phases)
    end = max([p.end_ms for p in phases] + [int(s.get("end_ms") or 0) for s in ordered])
    return Timeline(
        lanes=tuple(lanes.lanes),
        phases=tuple(phases),
        transfers=tuple(transfers),
        start_ms=start,
        end_ms=max(end, start + 1000),
        customer=_customer(ordered),
        queues=tuple(queues),
        agents=tuple(agents),
    )
