"""Reading conversations and segments: search, drill-down, aggregates and exports.

Everything is read for the caller's account only: another account's conversation, segment,
task or reservation is reported as not found, and never counted or exported.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection

from hindsight.domain import segments as seg
from hindsight.domain.errors import InvalidParameter, NotFound
from hindsight.routing.base import Caller, Service
from hindsight.store import chat as chat_store
from hindsight.store import insights_queries as store
from hindsight.store.insights_queries import GROUPINGS, ConversationFilters
from hindsight.store.keyset import PageRequest, PageResult, SortKey, fetch_page

SORT_FIELDS = tuple(store.SORT_COLUMNS)
SEGMENT_ORDER = store.SEGMENT_SORT
EXPORT_BATCH = 500
# Segment ids are made by domain.segments.segment_id: SG and 32 lower-case hex digits.
_SEGMENT_ID = re.compile(r"^SG[0-9a-f]{32}$")
# A task's segment a drill-down by task opens: its conversation with an agent, if any.
_TASK_PREFERENCE = (seg.CONVERSATION, seg.IN_PROGRESS, seg.CORRUPTED)


@dataclass(frozen=True)
class ConversationSort:
    field: str = "start"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.field not in store.SORT_COLUMNS:
            raise InvalidParameter(f"sort must be one of {', '.join(SORT_FIELDS)}")

    @property
    def keys(self) -> tuple[SortKey, ...]:
        return store.conversation_sort(self.field, self.descending)

    @property
    def ordering(self) -> str:
        """Names the ordering inside page tokens, so a token only continues its own list."""
        return f"{self.field}:{'desc' if self.descending else 'asc'}"


# The Twilio-shaped conversation list: newest first.
CONVERSATION_ORDER = ConversationSort().keys


def is_segment_id(value: str) -> bool:
    return _SEGMENT_ID.match(value) is not None


def _json(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return default


def segment_record(row: Any) -> dict[str, Any]:
    """A segment row with its JSON documents read; the task's verbatim attributes left out."""
    data = {
        k: v
        for k, v in row._mapping.items()
        if k not in ("raw_attributes", "worker_attributes", "media", "ignored", "updated_ms")
    }
    document = _json(row.media, [])
    media = [m for m in document if isinstance(m, dict) and "problems" not in m]
    data["media"] = media
    data["media_problems"] = [
        p for m in document if isinstance(m, dict) for p in m.get("problems", [])
    ]
    data["attributes"] = _json(row.attributes, {})
    data["measures"] = _json(row.measures, {})
    data["customer"] = _json(row.customer, {})
    data["ignored"] = _json(row.ignored, [])
    data["worker"] = _json(row.worker_attributes, {})
    data["external_url"] = media[0].get("url") if row.opens_externally and media else None
    return data


def conversation_record(row: Any) -> dict[str, Any]:
    data = {k: v for k, v in row._mapping.items() if k not in ("id", "search_text")}
    data["attributes"] = _json(row.attributes, {})
    return data


@dataclass(frozen=True)
class ConversationDetail:
    conversation: dict[str, Any]
    segments: list[dict[str, Any]]

    @property
    def late_media(self) -> bool:
        return any(s["media_late_ms"] is not None for s in self.segments)


@dataclass(frozen=True)
class Drilldown:
    """What opening one segment shows: its conversation, or (Raw first) an external page."""

    detail: ConversationDetail
    selected: dict[str, Any]

    @property
    def opens_externally(self) -> bool:
        return bool(self.selected["opens_externally"] and self.selected["external_url"])


@dataclass(frozen=True)
class AggregateRow:
    group: Any
    volume: int
    handled: int
    abandoned: int
    avg_queue_time: float | None
    avg_talk_time: float | None
    avg_wrap_up_time: float | None
    avg_handling_time: float | None


@dataclass(frozen=True)
class Aggregates:
    group_by: str
    groups: list[AggregateRow]
    total: AggregateRow


def _average(value: Any) -> float | None:
    # PostgreSQL averages integers as NUMERIC (Decimal); SQLite as REAL.
    return None if value is None else round(float(value), 3)


def _aggregate_row(row: Any) -> AggregateRow:
    return AggregateRow(
        group=row.group,
        volume=int(row.volume),
        handled=int(row.handled or 0),
        abandoned=int(row.abandoned or 0),
        avg_queue_time=_average(row.avg_queue_time),
        avg_talk_time=_average(row.avg_talk_time),
        avg_wrap_up_time=_average(row.avg_wrap_up_time),
        avg_handling_time=_average(row.avg_handling_time),
    )


def _group_order(row: AggregateRow) -> tuple[bool, Any]:
    # Time buckets in time order, names alphabetically; the group without a value last.
    return (row.group is None, row.group if row.group is not None else 0)


def _detail(conn: Connection, account_sid: str, row: Any) -> ConversationDetail:
    members = store.segments_of(conn, account_sid, [row.conversation_id])
    records = [segment_record(m) for m in members]
    _mark_held_transcripts(conn, account_sid, records)
    return ConversationDetail(conversation_record(row), records)


def _transcript_key(sid: str) -> str:
    # Media items may write a SID's hex digits in upper case; Hindsight's SIDs are lower case.
    return sid[:2] + sid[2:].lower()


def _mark_held_transcripts(
    conn: Connection, account_sid: str, records: list[dict[str, Any]]
) -> None:
    """Say on each ChatTranscript media item whether Hindsight holds that transcript (a chat
    conversation of this account) and how many messages it has. The messages themselves are
    never part of the detail: they are PHI, served only through the media broker."""
    items = [
        item
        for record in records
        for item in record["media"]
        if item.get("type") == "ChatTranscript" and isinstance(item.get("sid"), str)
    ]
    if not items:
        return
    counts = chat_store.transcript_counts(
        conn, account_sid, {_transcript_key(item["sid"]) for item in items}
    )
    for item in items:
        count = counts.get(_transcript_key(item["sid"]))
        item["transcript"] = {"available": count is not None, "message_count": count}


def _not_found(what: str) -> NotFound:
    return NotFound(f"No {what} in this account")


class InsightsService(Service):
    # --- conversations ---------------------------------------------------------------------

    async def search(
        self,
        caller: Caller,
        filters: ConversationFilters,
        sort: ConversationSort,
        page: PageRequest,
    ) -> PageResult:
        def unit(conn: Connection) -> PageResult:
            query = store.search_query(caller.account_sid, filters, conn.dialect.name)
            return fetch_page(conn, query, sort.keys, page)

        return await self._scan(unit)

    async def conversation(self, caller: Caller, conversation_id: str) -> ConversationDetail:
        def unit(conn: Connection) -> ConversationDetail:
            row = store.conversation(conn, caller.account_sid, conversation_id)
            if row is None:
                raise _not_found(f"conversation {conversation_id!r}")
            return _detail(conn, caller.account_sid, row)

        return await self._read(unit)

    async def drilldown(
        self,
        caller: Caller,
        *,
        segment_id: str | None = None,
        task_sid: str | None = None,
        reservation_sid: str | None = None,
    ) -> Drilldown:
        """Open a segment named by its id, its task or its reservation (exactly one)."""
        given = [v for v in (segment_id, task_sid, reservation_sid) if v is not None]
        if len(given) != 1:
            raise InvalidParameter(
                "Name the segment to open with exactly one of segment_id, task_sid and "
                "reservation_sid"
            )

        def unit(conn: Connection) -> Drilldown:
            account = caller.account_sid
            if segment_id is not None:
                chosen = store.segment(conn, account, segment_id)
                missing = f"segment {segment_id}"
            elif task_sid is not None:
                chosen = _task_segment(store.segments_of_task(conn, account, task_sid))
                missing = f"segment of task {task_sid}"
            else:
                chosen = store.segment_of_reservation(conn, account, reservation_sid or "")
                missing = f"segment of reservation {reservation_sid}"
            if chosen is None or chosen.conversation_id is None:
                raise _not_found(missing)
            row = store.conversation(conn, account, chosen.conversation_id)
            if row is None:
                raise _not_found(missing)
            detail = _detail(conn, account, row)
            selected = next(
                (s for s in detail.segments if s["segment_id"] == chosen.segment_id),
                segment_record(chosen),
            )
            return Drilldown(detail=detail, selected=selected)

        return await self._read(unit)

    async def aggregates(
        self, caller: Caller, filters: ConversationFilters, group_by: str
    ) -> Aggregates:
        if group_by not in GROUPINGS:
            raise InvalidParameter(f"group_by must be one of {', '.join(GROUPINGS)}")

        def unit(conn: Connection) -> Aggregates:
            rows, total = store.aggregate(conn, caller.account_sid, filters, group_by)
            groups = sorted((_aggregate_row(r) for r in rows), key=_group_order)
            return Aggregates(group_by=group_by, groups=groups, total=_aggregate_row(total))

        return await self._scan(unit)

    async def export(
        self, caller: Caller, filters: ConversationFilters, sort: ConversationSort
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every matching conversation, a page at a time (no cap: the caller streams them)."""
        page = PageRequest(size=EXPORT_BATCH)
        while True:

            def unit(conn: Connection, page: PageRequest = page) -> PageResult:
                query = store.search_query(caller.account_sid, filters, conn.dialect.name)
                return fetch_page(conn, query, sort.keys, page)

            result = await self._scan(unit)
            if result.rows:
                yield [conversation_record(r) for r in result.rows]
            if not result.has_next:
                return
            last = result.rows[-1]._mapping
            page = PageRequest(size=EXPORT_BATCH, after=tuple(last[k.column] for k in sort.keys))

    # --- Twilio's Insights read API --------------------------------------------------------

    async def segments(
        self,
        caller: Caller,
        segment_id: str | None,
        reservation_sids: Sequence[str],
        page: PageRequest,
    ) -> PageResult:
        query = store.segments_query(caller.account_sid, segment_id, reservation_sids)
        return await self._scan(lambda conn: fetch_page(conn, query, SEGMENT_ORDER, page))

    async def conversations_with_segments(
        self, caller: Caller, segment_id: str | None, page: PageRequest
    ) -> tuple[PageResult, dict[str, list[dict[str, Any]]]]:
        """A page of conversations (or the one holding `segment_id`) and their segments."""
        query = store.conversations_query(caller.account_sid, segment_id)

        def unit(conn: Connection) -> tuple[PageResult, dict[str, list[dict[str, Any]]]]:
            result = fetch_page(conn, query, CONVERSATION_ORDER, page)
            ids = [r.conversation_id for r in result.rows]
            members: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
            for row in store.segments_of(conn, caller.account_sid, ids):
                members[row.conversation_id].append(segment_record(row))
            return result, members

        return await self._scan(unit)


def _task_segment(rows: list[Any]) -> Any | None:
    for kind in _TASK_PREFERENCE:
        matching = [r for r in rows if r.kind == kind]
        if matching:
            return matching[-1]
    return rows[-1] if rows else None


__all__ = [
    "CONVERSATION_ORDER",
    "GROUPINGS",
    "SEGMENT_ORDER",
    "SORT_FIELDS",
    "AggregateRow",
    "Aggregates",
    "ConversationDetail",
    "ConversationFilters",
    "ConversationSort",
    "Drilldown",
    "InsightsService",
    "conversation_record",
    "is_segment_id",
    "segment_record",
]
