"""A task's attributes as Insights reads them: one value, parsed once per attributes string.

The event log keeps a task's attributes verbatim. Everything the projection takes from them —
which conversation the task belongs to, its direction, team, reportable attributes, measures
and customer, the time measures a caller overrides, its media lists and default recording, and
what of it may still change after the task has ended — is read here, once, so the rules live
in one place instead of being re-read per segment:

* the conversation key: `conversations.conversation_id`, else `call_sid`, else the task;
* HIPAA mode keeps only Flex Insights' allow-list (the key is read before the filter, so a
  conversation keeps its grouping);
* caller-set time measures override the computed ones on Conversation segments only;
* the handling team is the one the attributes name, else the segment's queue;
* offer segments (one reservation's handling) take their reservation's media list over the
  task's; queue segments take the task's;
* after a task ends only its media lists and recording link may change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from hindsight.domain import conversation_attributes as conv
from hindsight.domain import media as media_rules
from hindsight.domain import segments as seg
from hindsight.domain.attributes import parse_lenient, unwrap

# Computed time measures a caller's `conversations.<name>` may replace.
TIMES = ("queue_time", "ring_time", "talk_time", "wrap_up_time", "abandon_time", "hold_time")


@dataclass(frozen=True)
class LateMedia:
    """What of a task's attributes still counts after the task has ended (as written)."""

    task_media: Any
    reservation_attributes: Mapping[str, Any] | None
    segment_link: Any


@dataclass(frozen=True)
class SegmentMedia:
    """The media one segment shows, and the problems found reading the lists."""

    resolved: media_rules.ResolvedMedia
    problems: tuple[str, ...]


@dataclass(frozen=True)
class TaskAttributes:
    """One attributes string of a task, read for the projection.

    Values are computed on first use and kept (the instance never changes as seen from
    outside): a projector caches one instance per distinct string in a batch.
    """

    raw: str | None
    hipaa: bool = False

    @classmethod
    def parse(cls, raw: str | None, *, hipaa: bool = False) -> TaskAttributes:
        return cls(raw, hipaa)

    @cached_property
    def written(self) -> dict[str, Any]:
        """The attributes as written (leniently parsed: the log takes what Twilio sent)."""
        return parse_lenient(self.raw)

    @cached_property
    def document(self) -> Mapping[str, Any]:
        """What the projection may keep: all of it, or in HIPAA mode only the allow-list."""
        return conv.hipaa_filter(self.written) if self.hipaa else self.written

    @cached_property
    def root(self) -> Mapping[str, Any]:
        """The kept attributes with a `task_attributes` wrapper undone."""
        return unwrap(self.document)

    @cached_property
    def view(self) -> conv.ConversationView:
        """The reportable reading of `conversations` and `customers`."""
        return conv.read(self.document)

    # --- grouping ---------------------------------------------------------------------------

    @cached_property
    def _given_key(self) -> str | None:
        return conv.conversation_key(self.written, "") or None

    def conversation_key(self, task_sid: str) -> str:
        """Which conversation the task belongs to: conversation_id, else call_sid, else it."""
        return self._given_key or task_sid

    @cached_property
    def call_sid(self) -> str | None:
        """The `call_sid` attribute as written (HIPAA mode does not keep it)."""
        call = unwrap(self.written).get("call_sid")
        return call if isinstance(call, str) and call else None

    # --- reportable values ------------------------------------------------------------------

    @cached_property
    def direction(self) -> str | None:
        given = self.view.attributes.get("direction")
        if given:
            return given
        value = self.document.get("direction")
        return None if value is None or isinstance(value, dict | list) else str(value)[:128]

    def times(self, kind: str, computed: Mapping[str, int]) -> dict[str, int]:
        """The segment's time measures: computed, with the caller's overrides on Conversations."""
        times = {name: int(computed.get(name, 0)) for name in TIMES}
        if kind == seg.CONVERSATION:
            for name in conv.TIME_OVERRIDES:
                if name in self.view.measures and name in times:
                    times[name] = int(self.view.measures[name])
        return times

    def team(self, queue_sid: str | None, queue_name: str | None) -> tuple[str | None, str | None]:
        """The handling team's id and name: as the attributes name it, else the queue."""
        attributes = self.view.attributes
        return (
            attributes.get("handling_team_id") or queue_sid,
            attributes.get("handling_team_name") or queue_name,
        )

    def customer_key(self, conversation: str) -> str:
        return conv.customer_key(self.view, self.document, conversation)

    # --- media ------------------------------------------------------------------------------

    @cached_property
    def media_lists(self) -> media_rules.MediaLists:
        return media_rules.media_lists(self.document, strict=False)

    @cached_property
    def default_media(self) -> list[media_rules.MediaItem]:
        return media_rules.default_media(self.document)

    def media_for(self, kind: str, reservation_sid: str | None, *, extended: bool) -> SegmentMedia:
        """What a segment of this kind shows (its reservation's list only for offer kinds)."""
        reservation = reservation_sid if kind in seg.OFFER_KINDS else None
        lists = self.media_lists
        resolved = media_rules.resolve(lists, reservation, self.default_media, extended=extended)
        return SegmentMedia(resolved, lists.problems)

    @cached_property
    def late_media(self) -> LateMedia:
        """The parts that may change after the task ended: media lists and recording link."""
        root = unwrap(self.written)
        listed = root.get("conversations")
        conversations: Mapping[str, Any] = listed if isinstance(listed, Mapping) else {}
        per_reservation = root.get("reservation_attributes")
        return LateMedia(
            task_media=conversations.get("media"),
            reservation_attributes=(
                per_reservation if isinstance(per_reservation, Mapping) else None
            ),
            # segment_link may be sent after completion too (ENHANCE): the default recording.
            segment_link=conversations.get("segment_link"),
        )

    def changes_late_media(self, earlier: TaskAttributes) -> bool:
        """Whether writing these after the task ended changes what it shows."""
        return self.late_media != earlier.late_media
