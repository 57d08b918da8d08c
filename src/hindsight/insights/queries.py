"""Reading conversations and segments: search, drill-down, aggregates and exports.

Everything is read for the viewer's account only, and within the viewer's scope: another
account's or another team's conversation, segment, task or reservation is reported as not
found, and never listed, counted or exported. Each operation checks the viewer's permission and
is recorded in the audit trail (denials too) before anything is returned. People never receive
a media item's URL: they open media through short-lived links (media/broker.py).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, Row

from hindsight.audit.trail import DENIED, AuditTrail
from hindsight.domain import segments as seg
from hindsight.domain.access import Viewer
from hindsight.domain.errors import InvalidParameter, NotFound
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.permissions import Permission
from hindsight.domain.search.pick_lists import FACETS
from hindsight.insights import held_media, hour_profile
from hindsight.insights.aggregate_rows import AggregateRow, Aggregates
from hindsight.insights.filters import (
    AT_LEAST,
    AT_MOST,
    DURATION_MEASURES,
    GROUPINGS,
    ConversationFilters,
    narrowed,
)
from hindsight.search import identifiers
from hindsight.search.annotations import Annotation, annotate
from hindsight.service_base import Deps, Service
from hindsight.store import chat as chat_store
from hindsight.store import insights_queries as store
from hindsight.store import recordings as recording_store
from hindsight.store import timeline_search
from hindsight.store import workspaces as workspace_store
from hindsight.store.insights_queries import ScopeTags
from hindsight.store.keyset import SortKey, fetch_page, filled
from hindsight.store.search import index as search_store
from hindsight.store.search import pick_lists as pick_store

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


def segment_record(row: store.SegmentRecord) -> dict[str, Any]:
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


def conversation_record(row: store.ConversationRecord | Row[Any]) -> dict[str, Any]:
    """A conversation for the API and the pages: a record, or a row of a search's page."""
    data = {k: v for k, v in row._mapping.items() if k not in ("id", "search_text")}
    data["attributes"] = _json(row.attributes, {})
    return data


@dataclass(frozen=True)
class SearchTotal:
    """The list's "1,284 conversations": exact up to `TOTAL_CAP`, else "more than 10,000"
    (counting stops there: a common word's every match took seconds to count)."""

    conversations: int  # exact, or TOTAL_CAP when `more`
    more: bool = False  # more than `conversations` match

    @classmethod
    def counted(cls, found: int, cap: int) -> SearchTotal:
        return cls(cap, more=True) if found > cap else cls(found)


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
    # Set when the URL was withheld (people open it through a media link).
    external: bool | None = None

    @property
    def opens_externally(self) -> bool:
        if self.external is not None:
            return self.external
        return bool(self.selected["opens_externally"] and self.selected["external_url"])


# The hour-of-day profile (insights/hour_profile.py): not a stored grouping of its own.
HOUR_OF_DAY = "hour_of_day"


def _average(value: Any) -> float | None:
    # PostgreSQL averages integers as NUMERIC (Decimal); SQLite as REAL.
    return None if value is None else round(float(value), 3)


def _aggregate_row(row: store.GroupMeasures) -> AggregateRow:
    return AggregateRow(
        group=row.group,
        volume=int(row.volume),
        handled=int(row.handled or 0),
        abandoned=int(row.abandoned or 0),
        avg_queue_time=_average(row.avg_queue_time),
        avg_talk_time=_average(row.avg_talk_time),
        avg_wrap_up_time=_average(row.avg_wrap_up_time),
        avg_handling_time=_average(row.avg_handling_time),
        within_service_level=int(row.within_sl or 0),
    )


def _group_order(row: AggregateRow) -> tuple[bool, Any]:
    # Time buckets in time order, names alphabetically; the group without a value last.
    return (row.group is None, row.group if row.group is not None else 0)


def _detail(
    conn: Connection, account_sid: str, row: store.ConversationRecord, extended: bool
) -> ConversationDetail:
    members = store.segments_of(conn, account_sid, [row.conversation_id])
    records = [segment_record(m) for m in members]
    keys = [held_media.segment_keys(m) for m in members]
    held = [r._mapping for r in recording_store.linked(conn, account_sid, *held_media.wanted(keys))]
    named = held_media.referenced_sids(records)
    known = {r["sid"]: r for r in held}
    missing = [sid for sid in named if sid not in known]
    if missing:
        for extra in recording_store.linked_by_sid(conn, account_sid, missing):
            known[extra.sid] = extra._mapping
    conversation = conversation_record(row)
    document = search_store.documents(conn, account_sid, [row.conversation_id])
    found = document.get(row.conversation_id)
    conversation["customer"] = found.customer if found is not None else None
    for record, key in zip(records, keys, strict=True):
        if held_media.overlay(record, key, held, known, extended=extended):
            conversation["has_media"] = True
    _mark_held_transcripts(conn, account_sid, records)
    return ConversationDetail(conversation, records)


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


# What of a media item a person is shown: how to present it, never where it lives.
_LOCATION_KEYS = ("url", "url_provider")


def without_locations(record: dict[str, Any]) -> dict[str, Any]:
    """A segment record as people see it: media items keep type, title, display and timing;
    their URLs stay on the server (media is opened through the broker's short-lived links).
    Pages keep only the origin (scheme and host): a page's CSP must name the origins its
    embedded media come from, and plug-ins decide by host how to open a link."""
    media = []
    for item in record["media"]:
        shown = {k: v for k, v in item.items() if k not in _LOCATION_KEYS}
        shown["origin"] = _origin(item.get("url")) if item.get("type") in _PAGES else None
        media.append(shown)
    return {**record, "media": media, "external_url": None}


_PAGES = ("Embedded", "Referenced", "Raw")


def _origin(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def scope_of(viewer: Viewer) -> ScopeTags:
    return None if viewer.scope.unrestricted else viewer.scope.tags()


def searchable(viewer: Viewer, filters: ConversationFilters) -> ConversationFilters:
    """The filters as this viewer may apply them: free text reaches chat transcripts only
    for those who may open transcripts (otherwise a match would disclose what they hold)."""
    return dataclasses.replace(filters, search_transcripts=viewer.can(Permission.PLAY))


def _filter_summary(filters: ConversationFilters) -> dict[str, Any]:
    """Which filters a search used, for the audit trail; free text and attribute values may
    be personal data (a phone number), so only their presence is recorded."""
    out: dict[str, Any] = {}
    for key, value in filters.__dict__.items():
        if value is None or value == ():
            continue
        if key in ("text", "customer"):
            out[key] = "(given)"
        elif key == "attributes":
            out[key] = sorted(k for k, _v in value)
        else:
            out[key] = value
    return out


def _not_found(what: str) -> NotFound:
    return NotFound(f"No {what} in this account")


class InsightsService(Service):
    def __init__(self, deps: Deps, audit: AuditTrail, *, extended_media: bool = True) -> None:
        super().__init__(deps)
        self._audit = audit
        # Whether held recordings laid over defaults are all playable, or only the first.
        self._extended_media = extended_media

    async def _missing(
        self, viewer: Viewer, action: str, object_type: str, object_id: str, what: str
    ) -> NotFound:
        """Not found, or outside the viewer's scope: the same 404, audited as denied."""
        await self._audit.record(
            viewer,
            action,
            object_type=object_type,
            object_id=object_id,
            outcome=DENIED,
            reason="not found in the viewer's account and scope",
        )
        return _not_found(what)

    def present(self, viewer: Viewer, detail: ConversationDetail) -> ConversationDetail:
        if not viewer.is_person:
            return detail
        return ConversationDetail(
            detail.conversation, [without_locations(s) for s in detail.segments]
        )

    # --- conversations ---------------------------------------------------------------------

    async def search(
        self,
        viewer: Viewer,
        filters: ConversationFilters,
        sort: ConversationSort,
        page: PageRequest,
    ) -> PageResult:
        await self._audit.require(viewer, Permission.SEARCH, "conversation.search")
        scope = scope_of(viewer)
        filters = searchable(viewer, filters)

        def unit(conn: Connection) -> PageResult:
            return search_page(conn, viewer.account_sid, filters, scope, sort, page)

        result = await self._scan(unit)
        await self._audit.record(
            viewer,
            "conversation.search",
            detail={"filters": _filter_summary(filters), "returned": len(result.rows)},
        )
        return result

    async def count(self, viewer: Viewer, filters: ConversationFilters) -> SearchTotal:
        """How many conversations a search finds, up to `TOTAL_CAP` (checked and scoped as
        the search itself)."""
        await self._audit.require(viewer, Permission.SEARCH, "conversation.search")
        scope = scope_of(viewer)
        filters = searchable(viewer, filters)
        cap = store.TOTAL_CAP
        account = viewer.account_sid

        def unit(conn: Connection) -> SearchTotal:
            # SQLite streams a text's matches to the cap as they are: the few are as cheap.
            direct = timeline_search.indexed(conn.dialect.name, filters) and not filters.customer
            found = filters if direct else narrowed(conn, account, filters)
            counted = store.count(conn, viewer.account_sid, found, scope, cap)
            return SearchTotal.counted(counted, cap)

        return await self._scan(unit)

    async def pick_lists(self, viewer: Viewer) -> dict[str, list[str]]:
        """The values the search form offers for queue, agent, team, outcome and channel: only
        those shown by conversations the viewer may see."""
        await self._audit.require(viewer, Permission.SEARCH, "conversation.search")
        scope = scope_of(viewer)

        def unit(conn: Connection) -> dict[str, list[str]]:
            return {f: pick_store.values(conn, viewer.account_sid, f, scope) for f in FACETS}

        return await self._read(unit)

    async def annotations(
        self, viewer: Viewer, filters: ConversationFilters, rows: Sequence[Any]
    ) -> dict[str, Annotation]:
        """The customer and match snippet of each conversation of a page `search` returned
        to this viewer (so already within their account and scope)."""
        ids = [r.conversation_id for r in rows]
        transcripts = viewer.can(Permission.PLAY)
        return await self._read(
            lambda conn: annotate(conn, viewer.account_sid, ids, filters.text, transcripts)
        )

    async def lookup(self, viewer: Viewer, text: str) -> str | None:
        """The conversation an identifier typed in the search box names (task, reservation,
        call, chat or recording SID, or conversation id), if the viewer may see it."""
        await self._audit.require(viewer, Permission.SEARCH, "conversation.lookup")
        scope = scope_of(viewer)

        def unit(conn: Connection) -> str | None:
            for named in identifiers.candidates(conn, viewer.account_sid, text):
                if store.conversation(conn, viewer.account_sid, named, scope) is not None:
                    return named
            return None

        found = await self._read(unit)
        if found is not None:
            await self._audit.record(
                viewer, "conversation.lookup", object_type="conversation", object_id=found
            )
        return found

    async def conversation(self, viewer: Viewer, conversation_id: str) -> ConversationDetail:
        action = "conversation.view"
        await self._audit.require(
            viewer, Permission.VIEW, action, object_type="conversation", object_id=conversation_id
        )
        scope = scope_of(viewer)

        def unit(conn: Connection) -> ConversationDetail | None:
            row = store.conversation(conn, viewer.account_sid, conversation_id, scope)
            return (
                None
                if row is None
                else _detail(conn, viewer.account_sid, row, self._extended_media)
            )

        detail = await self._read(unit)
        if detail is None:
            raise await self._missing(
                viewer,
                action,
                "conversation",
                conversation_id,
                f"conversation {conversation_id!r}",
            )
        await self._audit.record(
            viewer, action, object_type="conversation", object_id=conversation_id
        )
        return self.present(viewer, detail)

    async def drilldown(
        self,
        viewer: Viewer,
        *,
        segment_id: str | None = None,
        task_sid: str | None = None,
        reservation_sid: str | None = None,
        conversation_id: str | None = None,
    ) -> Drilldown:
        """Open a segment named by its id, its task or its reservation, or a conversation's
        main segment (exactly one)."""
        named_by = {
            "segment": segment_id,
            "task": task_sid,
            "reservation": reservation_sid,
            "conversation": conversation_id,
        }
        given = {k: v for k, v in named_by.items() if v is not None}
        if len(given) != 1:
            raise InvalidParameter(
                "Name the segment to open with exactly one of segment_id, task_sid, "
                "reservation_sid and conversation_id"
            )
        ((kind, named),) = given.items()
        action = "conversation.drilldown"
        await self._audit.require(
            viewer, Permission.VIEW, action, object_type=kind, object_id=named
        )
        scope = scope_of(viewer)

        def unit(conn: Connection) -> tuple[Drilldown | None, str]:
            account = viewer.account_sid
            if segment_id is not None:
                chosen = store.segment(conn, account, segment_id)
                missing = f"segment {segment_id}"
            elif task_sid is not None:
                chosen = _task_segment(store.segments_of_task(conn, account, task_sid))
                missing = f"segment of task {task_sid}"
            elif reservation_sid is not None:
                chosen = store.segment_of_reservation(conn, account, reservation_sid)
                missing = f"segment of reservation {reservation_sid}"
            else:
                members = store.segments_of(conn, account, [conversation_id or ""])
                chosen = _task_segment(members)
                missing = f"conversation {conversation_id!r}"
            if chosen is None or chosen.conversation_id is None:
                return None, missing
            row = store.conversation(conn, account, chosen.conversation_id, scope)
            if row is None:
                return None, missing
            detail = _detail(conn, account, row, self._extended_media)
            selected = next(
                (s for s in detail.segments if s["segment_id"] == chosen.segment_id),
                segment_record(chosen),
            )
            return Drilldown(detail=detail, selected=selected), missing

        found, missing = await self._read(unit)
        if found is None:
            raise await self._missing(viewer, action, kind, named, missing)
        await self._audit.record(
            viewer,
            action,
            object_type="conversation",
            object_id=found.detail.conversation["conversation_id"],
            detail={kind: named},
        )
        if not viewer.is_person:
            return found
        return Drilldown(
            detail=self.present(viewer, found.detail),
            selected=without_locations(found.selected),
            external=found.opens_externally,
        )

    async def aggregates(
        self,
        viewer: Viewer,
        filters: ConversationFilters,
        group_by: str,
        service_level_seconds: int = 20,
        time_zone: ZoneInfo | None = None,
    ) -> Aggregates:
        """Figures by group; `hour_of_day` folds the period into 24 hours of `time_zone`."""
        if group_by not in (*GROUPINGS, HOUR_OF_DAY):
            raise InvalidParameter(f"group_by must be one of {', '.join(GROUPINGS)}")
        await self._audit.require(viewer, Permission.DASHBOARDS, "report.aggregate")
        scope = scope_of(viewer)
        filters = searchable(viewer, filters)
        zone = time_zone or ZoneInfo("UTC")
        stored_by = group_by
        if group_by == HOUR_OF_DAY:
            ends = [m for m in (filters.start_ms, filters.end_ms) if m is not None]
            quarter = hour_profile.bucket_ms(zone, ends or [0]) == hour_profile.QUARTER_MS
            stored_by = "quarter" if quarter else "hour"

        def unit(conn: Connection) -> Aggregates:
            found = narrowed(conn, viewer.account_sid, filters)
            rows, total = store.aggregate(
                conn, viewer.account_sid, found, stored_by, scope, service_level_seconds
            )
            groups = sorted((_aggregate_row(r) for r in rows), key=_group_order)
            if group_by == HOUR_OF_DAY:
                groups = hour_profile.fold(groups, zone)
            return Aggregates(group_by=group_by, groups=groups, total=_aggregate_row(total))

        result = await self._scan(unit)
        await self._audit.record(
            viewer,
            "report.aggregate",
            detail={"group_by": group_by, "filters": _filter_summary(filters)},
        )
        return result

    async def workspaces(self, viewer: Viewer) -> list[tuple[str, str]]:
        """(SID, name) of the account's workspaces, by name: what a report may be narrowed to."""
        viewer.require(Permission.DASHBOARDS)
        query = workspace_store.list_query(viewer.account_sid, None)
        rows = await self._scan(lambda conn: list(conn.execute(query)))
        return sorted(((r.sid, r.friendly_name) for r in rows), key=lambda w: (w[1], w[0]))

    async def start_export(self, viewer: Viewer, filters: ConversationFilters) -> None:
        """Check and record an export before its first row is sent."""
        await self._audit.require(viewer, Permission.EXPORT, "conversation.export")
        await self._audit.record(
            viewer, "conversation.export", detail={"filters": _filter_summary(filters)}
        )

    async def export(
        self, viewer: Viewer, filters: ConversationFilters, sort: ConversationSort
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every matching conversation, a page at a time (no cap: the caller streams them).

        Call `start_export` first: this generator runs while the response is being sent, when
        a refusal can no longer change the status code.
        """
        viewer.require(Permission.EXPORT)
        scope = scope_of(viewer)
        filters = searchable(viewer, filters)
        page = PageRequest(size=EXPORT_BATCH)
        while True:

            def unit(conn: Connection, page: PageRequest = page) -> PageResult:
                return search_page(conn, viewer.account_sid, filters, scope, sort, page)

            result = await self._scan(unit)
            if result.rows:
                yield [conversation_record(r) for r in result.rows]
            if not result.has_next:
                return
            last = result.rows[-1]._mapping
            page = PageRequest(size=EXPORT_BATCH, after=tuple(last[k.column] for k in sort.keys))

    # --- bulk media exports (media/exports/) -----------------------------------------------

    async def in_scope(self, viewer: Viewer, conversation_ids: Sequence[str]) -> list[str]:
        """Those of `conversation_ids` the viewer may see, in the order given, once each; an
        unknown id and another account's or team's are left out alike (nothing is disclosed)."""
        scope = scope_of(viewer)
        wanted = list(dict.fromkeys(conversation_ids))

        def unit(conn: Connection) -> list[str]:
            return [
                cid
                for cid in wanted
                if store.conversation(conn, viewer.account_sid, cid, scope) is not None
            ]

        return await self._scan(unit)

    async def matching_ids(
        self, viewer: Viewer, filters: ConversationFilters, limit: int
    ) -> list[str]:
        """The ids of a search's conversations, newest first, at most `limit` of them."""
        ids: list[str] = []
        async for page in self.export(viewer, filters, ConversationSort()):
            ids.extend(record["conversation_id"] for record in page)
            if len(ids) >= limit:
                return ids[:limit]
        return ids

    async def export_detail(
        self, viewer: Viewer, conversation_id: str
    ) -> ConversationDetail | None:
        """A conversation with its media (locations kept, for the exporter, which never hands
        them out), if it is still in the viewer's scope; None otherwise."""
        scope = scope_of(viewer)

        def unit(conn: Connection) -> ConversationDetail | None:
            row = store.conversation(conn, viewer.account_sid, conversation_id, scope)
            if row is None:
                return None
            return _detail(conn, viewer.account_sid, row, self._extended_media)

        return await self._read(unit)

    # --- one media item, for the broker ----------------------------------------------------

    async def media_item(
        self, viewer: Viewer, segment_id: str, index: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the segment record, its media item `index`) if the viewer may see the segment.

        The record keeps the item's URL: this is for the broker, which never hands it out.
        """
        scope = scope_of(viewer)

        def unit(conn: Connection) -> dict[str, Any] | None:
            chosen = store.segment(conn, viewer.account_sid, segment_id)
            if chosen is None or chosen.conversation_id is None:
                return None
            row = store.conversation(conn, viewer.account_sid, chosen.conversation_id, scope)
            if row is None:
                return None
            detail = _detail(conn, viewer.account_sid, row, self._extended_media)
            return next((s for s in detail.segments if s["segment_id"] == segment_id), None)

        record = await self._read(unit) if is_segment_id(segment_id) else None
        item = next((m for m in (record or {}).get("media", []) if m.get("index") == index), None)
        if record is None or item is None:
            raise _not_found(f"media {segment_id}/{index}")
        return record, item

    # --- Twilio's Insights read API --------------------------------------------------------

    async def segments(
        self,
        viewer: Viewer,
        segment_id: str | None,
        reservation_sids: Sequence[str],
        page: PageRequest,
    ) -> PageResult[store.SegmentRecord]:
        await self._audit.require(viewer, Permission.SEARCH, "segment.list")
        query = store.segments_query(
            viewer.account_sid, segment_id, reservation_sids, scope_of(viewer)
        )
        result = await self._scan(
            lambda conn: fetch_page(conn, query, SEGMENT_ORDER, page, read=store.read_segment)
        )
        await self._audit.record(
            viewer,
            "segment.list",
            object_type="segment" if segment_id else None,
            object_id=segment_id,
            detail={"reservations": len(reservation_sids), "returned": len(result.rows)},
        )
        return result

    async def conversations_with_segments(
        self, viewer: Viewer, segment_id: str | None, page: PageRequest
    ) -> tuple[PageResult, dict[str, list[dict[str, Any]]]]:
        """A page of conversations (or the one holding `segment_id`) and their segments."""
        await self._audit.require(viewer, Permission.SEARCH, "conversation.list")
        query = store.conversations_query(viewer.account_sid, segment_id, scope_of(viewer))

        def unit(conn: Connection) -> tuple[PageResult, dict[str, list[dict[str, Any]]]]:
            result = fetch_page(conn, query, CONVERSATION_ORDER, page)
            ids = [r.conversation_id for r in result.rows]
            members: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
            for row in store.segments_of(conn, viewer.account_sid, ids):
                if row.conversation_id is not None:  # always: these are the ids' segments
                    members[row.conversation_id].append(segment_record(row))
            return result, members

        result, members = await self._scan(unit)
        await self._audit.record(
            viewer,
            "conversation.list",
            object_type="segment" if segment_id else None,
            object_id=segment_id,
            detail={"returned": len(result.rows)},
        )
        return result, members


def search_page(
    conn: Connection,
    account_sid: str,
    filters: ConversationFilters,
    scope: ScopeTags,
    sort: ConversationSort,
    page: PageRequest,
) -> PageResult:
    """One page of a search: a customer's page is first drawn from their first conversations
    in list order (their keys hold it); on SQLite, a list by start reads a text's matches in
    the index's own order; otherwise a text matching many conversations is first looked for by
    walking the list (it soon fills a page when the text is common; a phrase walks on in
    longer windows); when that leaves the page short, every match is read and ordered."""
    dialect = conn.dialect.name
    places = store.customer_places(conn, account_sid, filters, sort.field)
    if places is not None:
        for window, whole in store.customer_windows(places, sort.keys, page):
            drawn = dataclasses.replace(filters, within=window)
            query = store.search_query(account_sid, drawn, dialect, scope, sort.field)
            result = fetch_page(conn, query, sort.keys, page)
            if whole or filled(result, page):
                return result
    # A text alone is walked in the index's order at once: learning first whether it matches
    # few would read up to FEW of its matches for nothing.
    if not (timeline_search.walks(dialect, filters, sort.field) and not filters.customer):
        filters = narrowed(conn, account_sid, filters)
    if timeline_search.walks(dialect, filters, sort.field):
        return timeline_search.page(conn, account_sid, filters, scope, sort.keys, page)
    for walk in store.walk_sizes(conn, account_sid, filters, page):
        walked = store.walked_query(
            account_sid, filters, dialect, scope, sort.field, sort.keys, page, walk
        )
        if walked is None:
            break
        result = fetch_page(conn, walked, sort.keys, page)
        if filled(result, page):
            return result
    query = store.search_query(account_sid, filters, dialect, scope, sort.field)
    return fetch_page(conn, query, sort.keys, page)


def _task_segment(rows: list[store.SegmentRecord]) -> store.SegmentRecord | None:
    for kind in _TASK_PREFERENCE:
        matching = [r for r in rows if r.kind == kind]
        if matching:
            return matching[-1]
    return rows[-1] if rows else None


__all__ = [
    "AT_LEAST",
    "AT_MOST",
    "CONVERSATION_ORDER",
    "DURATION_MEASURES",
    "GROUPINGS",
    "HOUR_OF_DAY",
    "SEGMENT_ORDER",
    "SORT_FIELDS",
    "AggregateRow",
    "Aggregates",
    "ConversationDetail",
    "ConversationFilters",
    "ConversationSort",
    "Drilldown",
    "InsightsService",
    "SearchTotal",
    "conversation_record",
    "is_segment_id",
    "segment_record",
]
