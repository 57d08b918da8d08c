"""The JSON shapes of Hindsight's Insights API (they document themselves in the OpenAPI)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class TranscriptHeld(BaseModel):
    """Whether Hindsight holds a ChatTranscript's conversation (its messages are served by the
    media broker, never in this payload)."""

    available: bool = Field(description="The account holds a chat conversation with this SID.")
    message_count: int | None = Field(description="Its number of messages; null if not held.")


class MediaItem(BaseModel):
    """One resolved media item of a segment, in the order it was written."""

    type: Literal["Raw", "Embedded", "Referenced", "VoiceRecording", "ChatTranscript"]
    index: int
    display: Literal["external", "iframe", "link", "player", "transcript"] = Field(
        description="How the conversation screen shows it."
    )
    playable: bool = Field(description="Whether the player may play it (VoiceRecording).")
    url: str | None = None
    url_provider: str | None = None
    title: str | None = None
    sid: str | None = None
    start_time: int | None = Field(None, description="Epoch milliseconds (VoiceRecording).")
    channels: list[str] | None = None
    recording_sid: str | None = Field(
        None,
        description="A recording Hindsight holds (RE…): a held default recording, or custom "
        "media whose url names one. Ask the media broker for a link to play it.",
    )
    duration: float | None = Field(None, description="Seconds (recordings Hindsight holds).")
    warnings: list[str] = []
    transcript: TranscriptHeld | None = Field(
        None, description="ChatTranscript items of a conversation detail: is it held here?"
    )


class Measures(BaseModel):
    """Time measures in whole seconds."""

    queue_time: int
    ring_time: int
    talk_time: int
    wrap_up_time: int
    hold_time: int
    abandon_time: int
    handling_time: int


class Segment(BaseModel):
    segment_id: str
    kind: str
    task_sid: str | None
    reservation_sid: str | None
    worker_sid: str | None
    agent_name: str | None
    queue_sid: str | None
    queue: str | None
    channel: str | None
    workflow: str | None
    direction: str | None
    start: str = Field(description="ISO 8601, UTC, with milliseconds.")
    end: str | None
    measures: Measures
    custom_measures: dict[str, float] = Field(
        description="The numeric conversations.* measures the task carried."
    )
    abandoned: str = Field(description="Yes or No.")
    abandoned_phase: str | None
    outcome: str | None
    handling_team_id: str | None
    handling_team_name: str | None
    customer: dict[str, str]
    attributes: dict[str, str | None]
    media_level: Literal["reservation", "task", "default"]
    media: list[MediaItem]
    media_problems: list[str] = Field(description="Media items left out, and why.")
    opens_externally: bool = Field(
        description="The first media item is Raw: drilling into this segment opens `external_url`"
        " instead of the conversation screen."
    )
    external_url: str | None
    late_media: bool = Field(description="Media was attached after the task ended.")
    media_late_at: str | None
    ignored_attributes: list[str]


class ConversationSummary(BaseModel):
    conversation_id: str
    workspace_sid: str
    start: str
    end: str | None
    segment_count: int
    queue: str | None = Field(description="The first queue the conversation entered.")
    agent: str | None = Field(description="The last agent who handled it.")
    channel: str | None
    direction: str | None
    outcome: str | None
    abandoned: bool
    handled: bool
    in_progress: bool
    has_media: bool
    queue_time: int
    talk_time: int
    wrap_up_time: int
    handling_time: int
    abandon_time: int
    handling_team: str | None
    customer_key: str | None
    customer: str | None = Field(
        None, description="The customer's name, else phone, e-mail or address."
    )
    attributes: dict[str, str | None]


class Snippet(BaseModel):
    """Where a text search matched: plain text, with the matching words' offsets."""

    source: str = Field(
        description="`attributes` (attributes, media titles, customer) or "
        "`transcript` (a chat transcript's messages; only for people who may open transcripts)."
    )
    text: str
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) character offsets of the matches in `text`."
    )


class ConversationHit(ConversationSummary):
    snippet: Snippet | None = Field(None, description="Set when the search had `q`.")


class ConversationDetail(ConversationSummary):
    late_media: bool
    segments: list[Segment] = Field(description="In start order.")


class PageMeta(BaseModel):
    page_size: int
    next_page_token: str | None
    previous_page_token: str | None
    next_page_url: str | None
    previous_page_url: str | None
    total: int | None = Field(
        None,
        description="How many conversations match, when asked with `with_total`: exact up to "
        "10,000; past that, 10,000 with `total_capped` true (counting stops there).",
    )
    total_capped: bool | None = Field(
        None,
        description="With `with_total`: true when more than `total` conversations match.",
    )


class ConversationPage(BaseModel):
    conversations: list[ConversationHit]
    meta: PageMeta


class Drilldown(BaseModel):
    """The answer to opening a segment (by segment id, task or reservation)."""

    action: Literal["open_externally", "conversation_screen"] = Field(
        description="open_externally: open `url` instead of the conversation screen "
        "(the segment's first media item is Raw); `conversation` is then null."
    )
    url: str | None = Field(
        description="The Raw item's URL for integrations; null for people, who open "
        "`media_index` through a media link (POST /api/v1/media/links)."
    )
    media_index: int | None
    conversation_id: str
    segment_id: str
    conversation: ConversationDetail | None


class AggregateGroup(BaseModel):
    """One group's figures; averages are seconds, rounded to three decimals."""

    group: str | None = Field(
        description="The day (YYYY-MM-DD, UTC), hour (YYYY-MM-DDTHH:00:00Z), queue, agent or "
        "channel; null for conversations without one, and for the total."
    )
    volume: int = Field(description="Conversations.")
    handled: int
    abandoned: int
    avg_queue_time: float | None = Field(description="Over all conversations.")
    avg_talk_time: float | None = Field(description="Over handled conversations.")
    avg_wrap_up_time: float | None = Field(description="Over handled conversations.")
    avg_handling_time: float | None = Field(description="Over handled conversations.")
    service_level: float | None = Field(
        description="Handled within service_level_seconds of queue time, as a share of "
        "handled plus abandoned (0 to 1); null when there were none."
    )


class Aggregates(BaseModel):
    group_by: Literal["day", "hour", "queue", "agent", "channel"]
    groups: list[AggregateGroup]
    total: AggregateGroup
