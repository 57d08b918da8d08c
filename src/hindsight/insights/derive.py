"""From a task's track and attributes to segment and conversation rows (pure functions)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from hindsight.domain import conversation_attributes as conv
from hindsight.domain import media as media_rules
from hindsight.domain import segments as seg
from hindsight.domain.json_columns import read_column
from hindsight.domain.task_attributes import TaskAttributes


@dataclass(frozen=True)
class ProjectionOptions:
    # Play every VoiceRecording (True) or only the first, as Flex does (False).
    extended_media: bool = True
    # Keep only Flex Insights' HIPAA allow-list of attributes.
    hipaa: bool = False


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def media_document(resolved: media_rules.ResolvedMedia, problems: Sequence[str]) -> list[dict]:
    return [
        {
            **item.as_dict(),
            "index": item.index,
            "display": item.display,
            "playable": item.index in resolved.playable,
            **({"warnings": list(item.warnings)} if item.warnings else {}),
        }
        for item in resolved.items
    ] + ([{"problems": list(problems)}] if problems else [])


def segment_row(
    facts: seg.SegmentFacts,
    track: seg.TaskTrack,
    *,
    account_sid: str,
    workspace_sid: str,
    options: ProjectionOptions,
    now_ms: int,
    read: Callable[[str | None], TaskAttributes] | None = None,
) -> dict[str, Any]:
    """One segment's row. `read` gives the reading of an attributes string (a projector passes
    its per-batch cache; by default each string is parsed here)."""
    if read is None:
        read = functools.partial(TaskAttributes.parse, hipaa=options.hipaa)
    attributes = read(track.attributes)
    media_source = read(track.media_attributes)
    view = attributes.view
    media = media_source.media_for(
        facts.kind, facts.reservation_sid, extended=options.extended_media
    )
    direction = attributes.direction
    times = attributes.times(facts.kind, facts.__dict__)
    handling = seg.handling_seconds(facts.kind, facts.abandoned, times, direction)
    team_id, team_name = attributes.team(facts.queue_sid, facts.queue_name)
    reportable = {
        "queue": facts.queue_name,
        "channel": track.channel,
        "workflow": track.workflow,
        "kind": facts.kind,
        **({"outcome": facts.outcome} if facts.outcome else {}),
        **({"direction": direction} if direction else {}),
        **view.attributes,
    }
    conv.apply_labels(reportable, facts.segment_id)
    return {
        "segment_id": facts.segment_id,
        "account_sid": account_sid,
        "workspace_sid": workspace_sid,
        "conversation_id": track.conversation,
        "kind": facts.kind,
        "task_sid": facts.task_sid,
        "reservation_sid": facts.reservation_sid,
        "worker_sid": facts.worker_sid,
        "agent_name": facts.agent_name,
        "queue_sid": facts.queue_sid,
        "queue_name": facts.queue_name,
        "channel": track.channel,
        "workflow": track.workflow,
        "direction": direction,
        "activity": None,
        "start_ms": facts.start_ms,
        "end_ms": facts.end_ms,
        **times,
        "handling_time": handling,
        "activity_time": 0,
        "abandoned": facts.abandoned,
        "abandoned_phase": facts.abandoned_phase,
        "outcome": facts.outcome,
        "handling_team_id": team_id,
        "handling_team_name": team_name,
        "customer_key": attributes.customer_key(track.conversation),
        "attributes": _json(reportable),
        "measures": _json(view.measures),
        "customer": _json(view.customer),
        "media": _json(media_document(media.resolved, media.problems)),
        "media_level": media.resolved.level,
        "opens_externally": media.resolved.opens_externally,
        "media_late_ms": track.late_media_ms,
        "ignored": _json(view.ignored),
        # In HIPAA mode only what passed the allow-list is stored (the log keeps the rest).
        "raw_attributes": _json(attributes.document) if options.hipaa else track.attributes,
        "worker_attributes": facts.worker_attributes,
        "updated_ms": now_ms,
    }


def agent_status_row(
    facts: seg.AgentStatusFacts, *, account_sid: str, workspace_sid: str, now_ms: int
) -> dict[str, Any]:
    return {
        "segment_id": facts.segment_id,
        "account_sid": account_sid,
        "workspace_sid": workspace_sid,
        "conversation_id": None,
        "kind": facts.kind,
        "task_sid": None,
        "reservation_sid": None,
        "worker_sid": facts.worker_sid,
        "agent_name": facts.agent_name,
        "queue_sid": None,
        "queue_name": None,
        "channel": None,
        "workflow": None,
        "direction": None,
        "activity": facts.activity,
        "start_ms": facts.start_ms,
        "end_ms": facts.end_ms,
        "queue_time": 0,
        "ring_time": 0,
        "talk_time": 0,
        "wrap_up_time": 0,
        "hold_time": 0,
        "abandon_time": 0,
        "handling_time": 0,
        "activity_time": facts.activity_time,
        "abandoned": "No",
        "abandoned_phase": None,
        "outcome": None,
        "handling_team_id": None,
        "handling_team_name": None,
        "customer_key": None,
        "attributes": _json({"activity": facts.activity, "kind": facts.kind, "virtual": "Yes"}),
        "measures": "{}",
        "customer": "{}",
        "media": "[]",
        "media_level": "default",
        "opens_externally": False,
        "media_late_ms": None,
        "ignored": "[]",
        "raw_attributes": None,
        "worker_attributes": facts.worker_attributes,
        "updated_ms": now_ms,
    }


def conversation_row(
    rows: Sequence[Mapping[str, Any]], *, account_sid: str, workspace_sid: str, now_ms: int
) -> dict[str, Any] | None:
    """A conversation's summary from its segments (in start order); None if it has none."""
    if not rows:
        return None
    talks = [r for r in rows if r["kind"] in (seg.CONVERSATION, seg.IN_PROGRESS)]
    handled = [r for r in talks if r["abandoned"] != "Yes" and r["worker_sid"]]
    queues = [r["queue_name"] for r in rows if r["queue_name"]]
    agents = [r["agent_name"] for r in handled if r["agent_name"]]
    last = rows[-1]
    # A segment's attributes column is written by `segment_row` (keys sorted), so the last
    # one is already the summary's document; parsed once, shared with scope tags and search.
    attributes = read_column(last["attributes"], {})
    searchable = " ".join(
        str(v) for r in rows for v in read_column(r["attributes"], {}).values() if v is not None
    )
    ends = [r["end_ms"] for r in rows]
    return {
        "account_sid": account_sid,
        "workspace_sid": workspace_sid,
        "conversation_id": last["conversation_id"],
        "start_ms": min(r["start_ms"] for r in rows),
        "end_ms": None if any(e is None for e in ends) else max(ends),
        "segment_count": len(rows),
        "queue": queues[0] if queues else None,
        "agent": agents[-1] if agents else None,
        "channel": next((r["channel"] for r in rows if r["channel"]), None),
        "direction": next((r["direction"] for r in rows if r["direction"]), None),
        "outcome": next((r["outcome"] for r in reversed(rows) if r["outcome"]), None),
        "abandoned": any(r["abandoned"] == "Yes" for r in talks) and not handled,
        "handled": bool(handled),
        "in_progress": any(r["kind"] == seg.IN_PROGRESS for r in rows),
        "has_media": any(r["media_level"] != "default" or r["media"] != "[]" for r in rows),
        "queue_time": sum(r["queue_time"] for r in rows if r["kind"] == seg.QUEUE),
        "talk_time": sum(r["talk_time"] for r in talks),
        "wrap_up_time": sum(r["wrap_up_time"] for r in talks),
        "handling_time": sum(r["handling_time"] for r in talks),
        "abandon_time": max((r["abandon_time"] for r in talks), default=0),
        "customer_key": last["customer_key"],
        "handling_team": next(
            (r["handling_team_name"] for r in reversed(handled) if r["handling_team_name"]), None
        ),
        "attributes": _json(attributes),
        "search_text": searchable.lower()[:8000],
        "updated_ms": now_ms,
    }
