"""Segments: the conversation pieces Flex Insights reports, derived from TaskRouter events.

Each task is followed through its events (a `TaskTrack`); every change yields the full current
record of each affected segment, keyed by a deterministic id, so replaying the log always gives
the same segments. The kinds and measures follow Insights:

* Queue                     entering a queue until an agent accepts (or the task ends).
* Conversation in Progress  an accepted reservation not completed yet.
* Conversation              an accepted reservation, completed: ring, talk, wrap-up times.
* Rejected Conversation     an offer the agent rejected (ring time).
* Missed Conversation       an offer that timed out or was canceled (ring time).
* Corrupted Conversation Segment  events missing (e.g. completed without being accepted).
* Agent Status / Agent Status in Progress  a worker's time in an activity (no conversation).

A task canceled while waiting gives an abandoned Queue segment and an abandoned Conversation
segment with abandon time = queue time. Times are whole seconds with milliseconds dropped from
each timestamp, as Insights does. Values a caller set in `conversations.*_time` win.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

QUEUE = "Queue"
CONVERSATION = "Conversation"
IN_PROGRESS = "Conversation in Progress"
MISSED = "Missed Conversation"
REJECTED = "Rejected Conversation"
CORRUPTED = "Corrupted Conversation Segment"
AGENT_STATUS = "Agent Status"
AGENT_STATUS_IN_PROGRESS = "Agent Status in Progress"
KINDS = (
    QUEUE,
    CONVERSATION,
    IN_PROGRESS,
    MISSED,
    REJECTED,
    CORRUPTED,
    AGENT_STATUS,
    AGENT_STATUS_IN_PROGRESS,
)
# Segments that are one reservation's handling of a task: they show that reservation's media.
OFFER_KINDS = frozenset((CONVERSATION, IN_PROGRESS, MISSED, REJECTED, CORRUPTED))


def segment_id(*parts: str) -> str:
    """A stable id for a segment slot, so reprojection reproduces it exactly."""
    return "SG" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def seconds(start_ms: int | None, end_ms: int | None) -> int:
    """Whole seconds between two instants, milliseconds dropped from each first."""
    if start_ms is None or end_ms is None:
        return 0
    return max(0, end_ms // 1000 - start_ms // 1000)


@dataclass
class Offer:
    """One reservation of the task: an offer to one worker."""

    sid: str
    worker_sid: str
    worker_name: str | None
    worker_attributes: str | None
    queue_sid: str | None
    queue_name: str | None
    created_ms: int
    queue_wait: int = 0  # seconds the customer waited in queue before this agent answered
    accepted_ms: int | None = None
    wrapup_ms: int | None = None
    ended_ms: int | None = None
    outcome: str | None = None  # reservation status it ended in


@dataclass
class Stint:
    """A stay in one queue."""

    index: int
    queue_sid: str | None
    queue_name: str | None
    entered_ms: int
    left_ms: int | None = None
    ended_by: str | None = None  # "accepted", "moved", "canceled", "completed"


@dataclass
class TaskTrack:
    task_sid: str
    conversation: str
    attributes: str
    channel: str | None = None
    workflow: str | None = None
    created_ms: int = 0
    status: str = "pending"
    reason: str | None = None
    finished_ms: int | None = None
    # Attributes written after the task ended: only their media count (Insights takes a task's
    # attributes as they are when it ends; media may still be attached later).
    late_attributes: str | None = None
    late_media_ms: int | None = None
    stints: list[Stint] = field(default_factory=list)
    offers: dict[str, Offer] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        # What dataclasses.asdict gives, built directly: asdict deep-copies every value, and
        # the projector serialises every changed track of every batch.
        document = dict(self.__dict__)
        document["stints"] = [dict(stint.__dict__) for stint in self.stints]
        document["offers"] = {sid: dict(offer.__dict__) for sid, offer in self.offers.items()}
        return document

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TaskTrack:
        fields = dict(data)
        fields["stints"] = [Stint(**s) for s in data.get("stints", [])]
        fields["offers"] = {k: Offer(**o) for k, o in data.get("offers", {}).items()}
        return cls(**fields)

    @property
    def media_attributes(self) -> str:
        """The attributes whose media a segment shows: those sent after the end, if any."""
        return self.attributes if self.late_attributes is None else self.late_attributes

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "canceled")

    def open_stint(self) -> Stint | None:
        if self.stints and self.stints[-1].left_ms is None:
            return self.stints[-1]
        return None

    def ever_accepted(self) -> bool:
        return any(o.accepted_ms is not None for o in self.offers.values())

    def all_slots(self) -> list[Slot]:
        slots = [Slot("stint", str(s.index)) for s in self.stints]
        slots += [Slot("offer", sid) for sid in self.offers]
        if self.status == "canceled" and not self.ever_accepted():
            slots.append(Slot("abandoned", "0"))
        return slots


@dataclass(frozen=True)
class Slot:
    """Which segment of a task: a queue stint, or an offer."""

    kind_of_slot: str  # "stint" or "offer"
    key: str  # stint index or reservation SID


def _close_stint(track: TaskTrack, at_ms: int, ended_by: str) -> Slot | None:
    stint = track.open_stint()
    if stint is None:
        return None
    stint.left_ms = at_ms
    stint.ended_by = ended_by
    return Slot("stint", str(stint.index))


def apply(track: TaskTrack, event_type: str, data: Mapping[str, str], at_ms: int) -> list[Slot]:
    """Advance a task's track by one event; returns the slots whose segments changed."""
    changed: list[Slot] = []
    reservation = data.get("reservation_sid")
    if event_type in ("task-queue.entered", "task-queue.moved"):
        closed = _close_stint(track, at_ms, "moved")
        if closed:
            changed.append(closed)
        index = len(track.stints)
        track.stints.append(
            Stint(index, data.get("task_queue_sid"), data.get("task_queue_name"), at_ms)
        )
        changed.append(Slot("stint", str(index)))
    elif event_type == "reservation.created" and reservation:
        stint = track.open_stint()
        track.offers[reservation] = Offer(
            sid=reservation,
            worker_sid=data.get("worker_sid", ""),
            worker_name=data.get("worker_name"),
            worker_attributes=data.get("worker_attributes"),
            queue_sid=data.get("task_queue_sid") or (stint.queue_sid if stint else None),
            queue_name=data.get("task_queue_name") or (stint.queue_name if stint else None),
            created_ms=at_ms,
        )
    elif event_type == "reservation.accepted" and reservation in track.offers:
        offer = track.offers[reservation]
        offer.accepted_ms = at_ms
        stint = track.open_stint()
        offer.queue_wait = seconds(stint.entered_ms, at_ms) if stint else 0
        closed = _close_stint(track, at_ms, "accepted")
        if closed:
            changed.append(closed)
        changed.append(Slot("offer", reservation))
    elif event_type == "reservation.wrapup" and reservation in track.offers:
        track.offers[reservation].wrapup_ms = at_ms
        changed.append(Slot("offer", reservation))
    elif event_type.startswith("reservation.") and reservation in track.offers:
        outcome = event_type.split(".", 1)[1]
        offer = track.offers[reservation]
        if outcome in ("completed", "rejected", "timeout", "canceled", "rescinded"):
            offer.ended_ms = at_ms
            offer.outcome = outcome
            if outcome != "rescinded":
                changed.append(Slot("offer", reservation))
    elif event_type in ("task.completed", "task.canceled"):
        track.status = event_type.split(".", 1)[1]
        track.reason = data.get("task_canceled_reason") or data.get("task_completed_reason")
        track.finished_ms = at_ms
        closed = _close_stint(track, at_ms, track.status)
        if closed:
            changed.append(closed)
        # An agent still on the task when it ends is done with it now.
        for offer in track.offers.values():
            if offer.accepted_ms is not None and offer.ended_ms is None:
                offer.ended_ms, offer.outcome = at_ms, "completed"
                changed.append(Slot("offer", offer.sid))
        if track.status == "canceled" and not track.ever_accepted():
            changed.append(Slot("abandoned", "0"))
    elif event_type == "task.wrapup":
        track.status = "wrapping"
    return changed


@dataclass
class SegmentFacts:
    """A segment's kind, people, place and measures (no media or attributes yet)."""

    segment_id: str
    kind: str
    task_sid: str
    reservation_sid: str | None
    worker_sid: str | None
    agent_name: str | None
    worker_attributes: str | None
    queue_sid: str | None
    queue_name: str | None
    start_ms: int
    end_ms: int | None
    queue_time: int = 0
    ring_time: int = 0
    talk_time: int = 0
    wrap_up_time: int = 0
    abandon_time: int = 0
    abandoned: str = "No"
    abandoned_phase: str | None = None
    outcome: str | None = None


def facts(track: TaskTrack, slot: Slot) -> SegmentFacts | None:
    """The current facts of one slot's segment, or None when the slot makes no segment."""
    if slot.kind_of_slot == "stint":
        stint = track.stints[int(slot.key)]
        abandoned = stint.ended_by == "canceled"
        wait = seconds(stint.entered_ms, stint.left_ms)
        return SegmentFacts(
            segment_id=segment_id(track.task_sid, "queue", slot.key),
            kind=QUEUE,
            task_sid=track.task_sid,
            reservation_sid=None,
            worker_sid=None,
            agent_name=None,
            worker_attributes=None,
            queue_sid=stint.queue_sid,
            queue_name=stint.queue_name,
            start_ms=stint.entered_ms,
            end_ms=stint.left_ms,
            queue_time=wait,
            abandon_time=wait if abandoned else 0,
            abandoned="Yes" if abandoned else "No",
            abandoned_phase="Queue" if abandoned else None,
            outcome=track.reason if abandoned else None,
        )
    if slot.kind_of_slot == "abandoned":
        last = track.stints[-1] if track.stints else None
        start = last.entered_ms if last else track.created_ms
        wait = seconds(start, track.finished_ms)
        return SegmentFacts(
            segment_id=segment_id(track.task_sid, "abandoned"),
            kind=CONVERSATION,
            task_sid=track.task_sid,
            reservation_sid=None,
            worker_sid=None,
            agent_name=None,
            worker_attributes=None,
            queue_sid=last.queue_sid if last else None,
            queue_name=last.queue_name if last else None,
            # The customer hung up then: after the Queue segment and any offers, as in
            # Insights' lifecycle (a tie with the Queue start would order them by id hash).
            start_ms=track.finished_ms if track.finished_ms is not None else start,
            end_ms=track.finished_ms,
            queue_time=wait,
            abandon_time=wait,
            abandoned="Yes",
            abandoned_phase="Queue",
            outcome=track.reason,
        )
    offer = track.offers[slot.key]
    base: dict[str, Any] = {
        "segment_id": segment_id(track.task_sid, "offer", offer.sid),
        "task_sid": track.task_sid,
        "reservation_sid": offer.sid,
        "worker_sid": offer.worker_sid,
        "agent_name": offer.worker_name,
        "worker_attributes": offer.worker_attributes,
        "queue_sid": offer.queue_sid,
        "queue_name": offer.queue_name,
        "start_ms": offer.created_ms,
    }
    if offer.accepted_ms is None:
        if offer.outcome in ("rejected", "timeout", "canceled"):
            return SegmentFacts(
                **base,
                kind=REJECTED if offer.outcome == "rejected" else MISSED,
                end_ms=offer.ended_ms,
                ring_time=seconds(offer.created_ms, offer.ended_ms),
                outcome=offer.outcome,
            )
        if offer.outcome in ("completed",) or offer.wrapup_ms is not None:
            return SegmentFacts(**base, kind=CORRUPTED, end_ms=offer.ended_ms)
        return None
    talk_end = offer.wrapup_ms or offer.ended_ms
    done = offer.ended_ms is not None
    return SegmentFacts(
        **{**base, "start_ms": offer.accepted_ms},
        kind=CONVERSATION if done else IN_PROGRESS,
        end_ms=offer.ended_ms,
        queue_time=offer.queue_wait,
        ring_time=seconds(offer.created_ms, offer.accepted_ms),
        talk_time=seconds(offer.accepted_ms, talk_end) if done else 0,
        wrap_up_time=seconds(offer.wrapup_ms, offer.ended_ms) if done and offer.wrapup_ms else 0,
        outcome=track.reason if done else None,
    )


def handling_time(segment: SegmentFacts, direction: str | None) -> int:
    """Talk plus wrap-up; outbound also counts ring time (the agent was blocked)."""
    return handling_seconds(segment.kind, segment.abandoned, segment.__dict__, direction)


def handling_seconds(
    kind: str, abandoned: str, times: Mapping[str, int], direction: str | None
) -> int:
    """`handling_time` from a segment's kind and its (possibly overridden) time measures."""
    if kind != CONVERSATION or abandoned == "Yes":
        return 0
    ring = times["ring_time"] if (direction or "").lower() == "outbound" else 0
    return ring + times["talk_time"] + times["wrap_up_time"]


@dataclass(frozen=True)
class AgentStatusFacts:
    segment_id: str
    kind: str
    worker_sid: str
    agent_name: str | None
    worker_attributes: str | None
    activity_sid: str
    activity: str | None
    start_ms: int
    end_ms: int | None
    activity_time: int


def agent_status(data: Mapping[str, str], at_ms: int) -> list[AgentStatusFacts]:
    """A worker changed activity: the stint that ended (Agent Status) and the new one."""
    out: list[AgentStatusFacts] = []
    previous = data.get("worker_previous_activity_sid")
    elapsed = data.get("worker_time_in_previous_activity_ms")
    if previous and elapsed is not None and elapsed.isdigit():
        started = at_ms - int(elapsed)
        name = data.get("worker_previous_activity_name")
        out.append(_stint(data, AGENT_STATUS, previous, name, started, at_ms))
    current = data.get("worker_activity_sid")
    if current:
        name = data.get("worker_activity_name")
        out.append(_stint(data, AGENT_STATUS_IN_PROGRESS, current, name, at_ms, None))
    return out


def _stint(
    data: Mapping[str, str],
    kind: str,
    activity_sid: str,
    activity: str | None,
    start_ms: int,
    end_ms: int | None,
) -> AgentStatusFacts:
    """The event's worker in one activity from `start_ms`, to `end_ms` if the stint has ended;
    a stint is named by its worker and start."""
    worker = data.get("worker_sid", "")
    return AgentStatusFacts(
        segment_id=segment_id(worker, "status", str(start_ms)),
        kind=kind,
        worker_sid=worker,
        agent_name=data.get("worker_name"),
        worker_attributes=data.get("worker_attributes"),
        activity_sid=activity_sid,
        activity=activity,
        start_ms=start_ms,
        end_ms=end_ms,
        activity_time=seconds(start_ms, end_ms),
    )


def main_segment(kinds: Sequence[str]) -> int:
    """Which of a conversation's segments (their kinds, in order; at least one) its detail
    opens on: the last Conversation segment, else the last one in progress, else the last."""
    for wanted in (CONVERSATION, IN_PROGRESS):
        found = [i for i, kind in enumerate(kinds) if kind == wanted]
        if found:
            return found[-1]
    return len(kinds) - 1
