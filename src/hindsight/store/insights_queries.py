"""Reading the Insights projection: conversation search, drill-down lookups and aggregates.

Every query takes the account it reads for and never returns another account's rows. Filters
on the JSON `attributes` column use each database's own JSON function, so they run in SQL on
both stores and paging, aggregates and exports see the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB

from hindsight.domain.paging import PageRequest
from hindsight.domain.search import customer as customer_search
from hindsight.domain.search import filter_keys, text_query
from hindsight.store import keyset
from hindsight.store.keyset import SortKey
from hindsight.store.quality.search import QualityFilter, quality_conditions
from hindsight.store.records import RowLike, optional, reader
from hindsight.store.schema import conversation_scopes, conversations, segments
from hindsight.store.search import index as search_index
from hindsight.store.search import pick_lists

DAY_MS = 86_400_000
# How a text search is asked (see `conditions`).
MATCHES, PROBE, UNASKED = "matches", "probe", "unasked"
# Conversations a page of a common word's matches walks before giving up on the walk: a page
# of 50 fills within them when at least one conversation in 20 matches (a common word; the
# probes cost about as much as reading WALK matches), else reading the matches is cheaper.
# Only PostgreSQL walks this way: an FTS5 probe (`rowid = ? AND MATCH`) opens the term in every
# segment of the index, and at 350,000 conversations a thousand of them took seconds
# (benchmarks/README.md). SQLite's index is in the list's order instead (timeline_search.py).
WALK = 1_000
WALKING_DIALECTS = frozenset({"postgresql"})
# A phrase whose words are common walks on in longer windows when a window leaves its page
# short: reading every match then rechecks each conversation holding all its words (the GIN
# index keeps no positions), which took minutes at 750,000 conversations; a walk probes each
# conversation once, in order, and stops at a full page.
PHRASE_WALKS = (WALK, 4 * WALK, 16 * WALK, 64 * WALK)
# A word's walk on PostgreSQL holds this many times the page's rows at the density the planner
# expects (`walk_sizes`), so that the page most often fills at the first walk.
WALK_MARGIN = 1.5
# Below this many expected matches the walk keeps its fixed size: a small table's statistics
# say little, and such a text was read by id (`search_index.FEW`) unless the estimate erred.
SIZED_FROM = 5_000
# A customer's page is drawn first from as many of their conversations (in list order, known
# from their keys without reading the conversations) as the page holds, then eight times as
# many, then all: without other filters the first fills it, reading only the rows it shows.
CUSTOMER_WALKS = (1, 8)
# The list's total counts this many conversations at most and then says "more than 10,000":
# counting every match of a common word read hundreds of thousands of rows (seconds at 1 M),
# and nobody pages through more than this.
TOTAL_CAP = 10_000
HOUR_MS = 3_600_000
QUARTER_MS = 900_000


@dataclass(frozen=True)
class ConversationRecord(RowLike):
    """A projected conversation (one row of `conversations`); `attributes` is its JSON text.

    A `RowLike`: the search store pages the same table as rows, and the records that show a
    conversation read either one by column name."""

    id: int
    account_sid: str
    workspace_sid: str
    conversation_id: str
    start_ms: int
    end_ms: int | None
    segment_count: int
    queue: str | None
    agent: str | None
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
    customer_key: str | None
    handling_team: str | None
    attributes: str
    search_text: str
    updated_ms: int


@dataclass(frozen=True)
class SegmentRecord(RowLike):
    """A projected segment (one row of `segments`); `attributes`, `measures`, `customer`,
    `media` and `ignored` are JSON text, read by insights/queries.segment_record."""

    segment_id: str
    account_sid: str
    workspace_sid: str
    conversation_id: str | None
    kind: str
    task_sid: str | None
    reservation_sid: str | None
    worker_sid: str | None
    agent_name: str | None
    queue_sid: str | None
    queue_name: str | None
    channel: str | None
    workflow: str | None
    direction: str | None
    activity: str | None
    start_ms: int
    end_ms: int | None
    queue_time: int
    ring_time: int
    talk_time: int
    wrap_up_time: int
    hold_time: int
    abandon_time: int
    handling_time: int
    activity_time: int
    abandoned: str
    abandoned_phase: str | None
    outcome: str | None
    handling_team_id: str | None
    handling_team_name: str | None
    customer_key: str | None
    attributes: str
    measures: str
    customer: str
    media: str
    media_level: str
    opens_externally: bool
    media_late_ms: int | None
    ignored: str
    raw_attributes: str | None
    worker_attributes: str | None
    updated_ms: int


@dataclass(frozen=True, slots=True)
class GroupMeasures:
    """One group's measures in an aggregate (`group` is None for all groups together); the
    sums are None when no conversation counted, the averages when none had a value."""

    group: Any  # the grouped column's value: a queue, agent or channel name, or an instant
    volume: int
    within_sl: int | None
    handled: int | None
    abandoned: int | None
    avg_queue_time: float | None
    avg_talk_time: float | None
    avg_wrap_up_time: float | None
    avg_handling_time: float | None


read_conversation = reader(ConversationRecord)
read_segment = reader(SegmentRecord)
_read_measures = reader(GroupMeasures)

# What conversation lists may be sorted by; every ordering ends with the row id.
SORT_COLUMNS = {
    "start": conversations.c.start_ms,
    "talk_time": conversations.c.talk_time,
    "handling_time": conversations.c.handling_time,
    "queue_time": conversations.c.queue_time,
}
GROUPINGS = ("day", "hour", "queue", "agent", "channel")
# Measures a search can bound ("talk longer than 10 minutes"), in seconds.
DURATION_COLUMNS = {
    "talk_time": conversations.c.talk_time,
    "queue_time": conversations.c.queue_time,
    "handling_time": conversations.c.handling_time,
}
AT_LEAST, AT_MOST = filter_keys.AT_LEAST, filter_keys.AT_MOST
# The Twilio-shaped segment list: newest first.
SEGMENT_SORT = (
    SortKey(segments.c.start_ms, descending=True),
    SortKey(segments.c.segment_id, descending=True),
)


class ConversationCriteria(Protocol):
    """What a conversation search, aggregate or export is restricted to (all must hold).

    The service layer's `insights.filters.ConversationCriteria` is the value callers build; the
    store reads it through this protocol. See there for what each field means.
    """

    @property
    def start_ms(self) -> int | None: ...
    @property
    def end_ms(self) -> int | None: ...
    @property
    def workspace_sid(self) -> str | None: ...
    @property
    def queue(self) -> str | None: ...
    @property
    def agent(self) -> str | None: ...
    @property
    def team(self) -> str | None: ...
    @property
    def channel(self) -> str | None: ...
    @property
    def direction(self) -> str | None: ...
    @property
    def outcome(self) -> str | None: ...
    @property
    def abandoned(self) -> bool | None: ...
    @property
    def handled(self) -> bool | None: ...
    @property
    def has_media(self) -> bool | None: ...
    @property
    def in_progress(self) -> bool | None: ...
    @property
    def attributes(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def text(self) -> str | None: ...
    @property
    def quality(self) -> QualityFilter | None: ...
    @property
    def search_transcripts(self) -> bool: ...
    @property
    def customer(self) -> str | None: ...
    @property
    def durations(self) -> tuple[tuple[str, str, int], ...]: ...
    @property
    def within(self) -> tuple[int, ...] | None: ...


def conversation_sort(field: str, descending: bool) -> tuple[SortKey, SortKey]:
    return (
        SortKey(SORT_COLUMNS[field], descending=descending),
        SortKey(conversations.c.id, descending=descending),
    )


def attribute_text(dialect: str, key: str) -> ColumnElement[Any]:
    """The text value of one key of a conversation's attributes (keys are [A-Za-z0-9_]+)."""
    if dialect == "postgresql":
        # `astext` is untyped in SQLAlchemy's stubs for JSONB's comparator.
        text: ColumnElement[Any] = cast(conversations.c.attributes, JSONB)[key].astext
        return text
    return func.json_extract(conversations.c.attributes, f'$."{key}"')


def _named(account_sid: str, facet: str, column: Any, typed: str) -> ColumnElement[bool]:
    """The column holds the value typed, or a spelling of it in another case."""
    return or_(column == typed, column.in_(pick_lists.spellings(account_sid, facet, typed)))


def _segment_exists(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(
        segments.c.account_sid == conversations.c.account_sid,
        segments.c.conversation_id == conversations.c.conversation_id,
        condition,
    )


# A viewer's scope: the conversation scope tags they may see, or None for the whole account.
ScopeTags = tuple[str, ...] | None


def in_scope(scope: ScopeTags, conversation_id: Any = None) -> ColumnElement[bool]:
    """The conversation (by default the `conversations` row) is filed under one of the tags."""
    return exists().where(
        conversation_scopes.c.account_sid == conversations.c.account_sid
        if conversation_id is None
        else conversation_scopes.c.account_sid == segments.c.account_sid,
        conversation_scopes.c.conversation_id
        == (conversations.c.conversation_id if conversation_id is None else conversation_id),
        conversation_scopes.c.tag.in_(list(scope or ())),
    )


def conditions(
    account_sid: str,
    filters: ConversationCriteria,
    dialect: str,
    scope: ScopeTags = None,
    *,
    bounded: bool = True,
    text: str = MATCHES,
) -> list[ColumnElement[bool]]:
    """The filters as SQL conditions; without `bounded`, the period is left to the caller.
    `text` says how the text search is asked: MATCHES (the conversation is among every
    match, read first: what counts and sums need), PROBE (asked of each conversation read:
    a page walking its order) or UNASKED (left to the caller)."""
    c = conversations.c
    # Narrowed rows are the account's already; leaving the account out of the condition keeps
    # SQLite from walking an index of the account's conversations instead of reading them.
    out: list[ColumnElement[bool]] = [
        c.account_sid == account_sid if filters.within is None else c.id.in_(filters.within)
    ]
    if scope is not None:
        out.append(in_scope(scope))
    if bounded and filters.start_ms is not None:
        out.append(c.start_ms >= filters.start_ms)
    if bounded and filters.end_ms is not None:
        out.append(c.start_ms < filters.end_ms)
    for column, value in (
        (c.workspace_sid, filters.workspace_sid),
        (c.direction, filters.direction),
    ):
        if value is not None:
            out.append(column == value)
    for facet, column, value in (
        ("channel", c.channel, filters.channel),
        ("outcome", c.outcome, filters.outcome),
    ):
        if value is not None:
            out.append(_named(account_sid, facet, column, value))
    for column, flag in (
        (c.abandoned, filters.abandoned),
        (c.handled, filters.handled),
        (c.has_media, filters.has_media),
        (c.in_progress, filters.in_progress),
    ):
        if flag is not None:
            out.append(column == flag)
    s = segments.c
    for facet, column, value in (
        ("queue", s.queue_name, filters.queue),
        ("agent", s.agent_name, filters.agent),
        ("team", s.handling_team_name, filters.team),
    ):
        if value is not None:
            out.append(_segment_exists(_named(account_sid, facet, column, value)))
    for key, value in filters.attributes:
        out.append(attribute_text(dialect, key) == value)
    for measure, bound, seconds in filters.durations:
        column = DURATION_COLUMNS[measure]
        out.append(column >= seconds if bound == AT_LEAST else column <= seconds)
    if filters.within is None:  # else `within` is what the text and customer matched
        out.extend(_search_conditions(account_sid, filters, dialect, text))
    return out


def _search_conditions(
    account_sid: str, filters: ConversationCriteria, dialect: str, how: str
) -> list[ColumnElement[bool]]:
    out = []
    if filters.text and how != UNASKED:
        query = text_query.parse(filters.text)
        transcripts = filters.search_transcripts
        out.append(
            search_index.text_probe(query, transcripts)
            if how == PROBE
            else search_index.text_condition(account_sid, query, dialect, transcripts)
        )
    if filters.customer:
        keys = customer_search.wanted_keys(filters.customer)
        out.append(search_index.customer_condition(account_sid, keys))
    if filters.quality is not None:
        out.extend(quality_conditions(filters.quality))
    return out


def matching_few(
    conn: Connection, account_sid: str, filters: ConversationCriteria
) -> tuple[int, ...] | None:
    """The row ids of all conversations the text and customer match, when they are few."""
    if not filters.text and not filters.customer:
        return None
    return search_index.few_matching(
        conn,
        account_sid,
        text_query.parse(filters.text) if filters.text else None,
        filters.search_transcripts,
        customer_search.wanted_keys(filters.customer) if filters.customer else None,
    )


def search_query(
    account_sid: str,
    filters: ConversationCriteria,
    dialect: str,
    scope: ScopeTags = None,
    sort: str = "start",
    text: str = MATCHES,
) -> Select[Any]:
    """The conversations matching, for a list in the order `sort` (a SORT_COLUMNS name)."""
    if dialect != "sqlite" or sort == "start":
        where = conditions(account_sid, filters, dialect, scope, text=text)
        return select(conversations).where(*where)
    # SQLite would read the period by start and sort it; walking the measure's index (which
    # holds start_ms) soon fills a page. `+ 0` keeps it from choosing the start index.
    where = conditions(account_sid, filters, dialect, scope, bounded=False, text=text)
    start = conversations.c.start_ms + 0
    if filters.start_ms is not None:
        where.append(start >= filters.start_ms)
    if filters.end_ms is not None:
        where.append(start < filters.end_ms)
    return select(conversations).where(*where)


def walked_query(
    account_sid: str,
    filters: ConversationCriteria,
    dialect: str,
    scope: ScopeTags,
    sort: str,
    keys: Sequence[SortKey],
    page: PageRequest,
    walk: int = WALK,
) -> Select[Any] | None:
    """A page of a text search that matches many conversations, drawn from the next `walk`
    conversations of the list (every other filter applied) probed one by one for the text;
    None when the text matches few (`filters.within` lists them) or none is asked. Exact
    when the page fills (`keyset.filled`): else the matches are sparse and the caller reads
    `search_query` instead."""
    if not filters.text or filters.within is not None or dialect not in WALKING_DIALECTS:
        return None
    candidates = search_query(account_sid, filters, dialect, scope, sort, text=UNASKED)
    walked = keyset.window(candidates.with_only_columns(conversations.c.id), keys, page, walk)
    query = text_query.parse(filters.text)
    probe = search_index.text_probe(query, filters.search_transcripts)
    return select(conversations).where(conversations.c.id.in_(walked), probe)


def customer_places(
    conn: Connection, account_sid: str, filters: ConversationCriteria, sort: str
) -> list[tuple[int, int]] | None:
    """The (start, row id) of each conversation of a customer searched without text, when
    they are at most FEW and the list is in start order (what the keys hold); else None."""
    if not filters.customer or filters.text or filters.within is not None or sort != "start":
        return None
    wanted = customer_search.wanted_keys(filters.customer)
    return search_index.customer_places(conn, account_sid, wanted)


def customer_windows(
    places: Sequence[tuple[int, int]], keys: Sequence[SortKey], page: PageRequest
) -> Iterator[tuple[tuple[int, ...], bool]]:
    """The row ids a customer's page is drawn from, in turn: the first of their conversations
    past the page's boundary in the order the page reads them (CUSTOMER_WALKS times the page
    and its look-ahead row), then all of them; with each, whether it is all. A page drawn
    from the first few is exact when it fills (`keyset.filled`): the others come after."""
    forward = page.before is None
    newest_first = keys[0].descending == forward
    boundary = page.after if forward else page.before
    ordered = sorted(set(places), reverse=newest_first)
    if boundary is not None:
        edge = tuple(boundary)
        ordered = [p for p in ordered if (p < edge if newest_first else p > edge)]
    for walk in (n * (page.size + 1) for n in CUSTOMER_WALKS):
        if walk < len(ordered):
            yield tuple(row for _start, row in ordered[:walk]), False
    yield tuple(row for _start, row in ordered), True


def walk_sizes(
    conn: Connection, account_sid: str, filters: ConversationCriteria, page: PageRequest
) -> tuple[int, ...]:
    """`walks`, with a word's walk sized on PostgreSQL to the planner's estimate of its
    matches: long enough to fill the page at the expected density (WALK_MARGIN times the
    page's rows), then four times that; none when the first would probe more conversations
    than reading every match reads (a mid-frequency word walked 1,000, fell short and read
    every match anyway)."""
    default = walks(filters)
    sized = (
        filters.text
        and filters.within is None
        and conn.dialect.name in WALKING_DIALECTS
        and default == (WALK,)
    )
    if not sized:
        return default
    query = text_query.parse(filters.text or "")
    expected = search_index.estimated_matches(conn, account_sid, query, filters.search_transcripts)
    if expected < SIZED_FROM:
        return default
    total = search_index.estimated_conversations(conn, account_sid)
    first = max(page.size + 1, math.ceil(WALK_MARGIN * (page.size + 1) * total / expected))
    return tuple(w for w in (first, 4 * first) if w <= expected)


def walks(filters: ConversationCriteria) -> tuple[int, ...]:
    """How many conversations each walk of a text search reads, in turn, before reading
    every match: longer walks for a phrase (PHRASE_WALKS)."""
    if filters.text and any(len(t.words) > 1 for t in text_query.parse(filters.text).terms):
        return PHRASE_WALKS
    return (WALK,)


def count(
    conn: Connection,
    account_sid: str,
    filters: ConversationCriteria,
    scope: ScopeTags = None,
    cap: int = TOTAL_CAP,
) -> int:
    """How many conversations the filters match (the list's "1,284 conversations"), counted
    up to `cap + 1`: a larger answer means "more than `cap`"."""
    dialect = conn.dialect.name
    query = text_query.parse(filters.text) if filters.text else None
    if query is not None and not query.empty and filters.within is None:
        return _count_matches(conn, account_sid, filters, query, scope, cap)
    counted = select(conversations.c.id).where(*conditions(account_sid, filters, dialect, scope))
    capped = counted.limit(cap + 1).subquery()
    return int(conn.execute(select(func.count()).select_from(capped)).scalar_one())


def _count_matches(
    conn: Connection,
    account_sid: str,
    filters: ConversationCriteria,
    query: text_query.TextQuery,
    scope: ScopeTags,
    cap: int,
) -> int:
    """Up to `cap + 1` of the conversations a text matches many times over: the matches are
    streamed as the index yields them, each looked up with the other filters, and told apart
    here (a conversation matching in its document and a transcript comes twice). In SQL,
    `conversation_id IN (every match)` reads them all first; so does a join (SQLite reorders
    it to read the period first) and PostgreSQL's DISTINCT (it hashes or sorts every row)."""
    dialect = conn.dialect.name
    period = (filters.start_ms, filters.end_ms)
    matched = search_index.matches(account_sid, query, dialect, filters.search_transcripts, period)
    c = conversations.c
    others = conditions(account_sid, filters, dialect, scope, bounded=False, text=UNASKED)
    matching = select(matched.c.conversation_id)
    # SQLite's time-ordered index holds one row per existing conversation of the account, its
    # key within the period: with no other filter and no scope its stream is the answer, and
    # looking each match up in `conversations` (a random read each) would only repeat it.
    if dialect != "sqlite" or len(others) > 1:
        holds = exists().where(
            c.account_sid == account_sid,
            c.conversation_id == matched.c.conversation_id,
            *conditions(account_sid, filters, dialect, scope, text=UNASKED),
        )
        matching = matching.where(holds)
    # Read with a LIMIT (no server-side cursor: reads run outside a transaction), doubled
    # while repeats keep the distinct ones at or under the cap.
    limit = cap + 1
    while True:
        read = list(conn.execute(matching.limit(limit)).scalars())
        found = len(set(read))
        if found > cap or len(read) < limit:
            return found
        limit *= 2


def conversation(
    conn: Connection, account_sid: str, conversation_id: str, scope: ScopeTags = None
) -> ConversationRecord | None:
    query = select(conversations).where(
        conversations.c.account_sid == account_sid,
        conversations.c.conversation_id == conversation_id,
    )
    if scope is not None:
        query = query.where(in_scope(scope))
    return optional(read_conversation, conn.execute(query).first())


def segments_of(
    conn: Connection, account_sid: str, conversation_ids: Sequence[str]
) -> list[SegmentRecord]:
    """The segments of some of an account's conversations, each conversation's in start order."""
    if not conversation_ids:
        return []
    query = (
        select(segments)
        .where(
            segments.c.account_sid == account_sid,
            segments.c.conversation_id.in_(list(conversation_ids)),
        )
        .order_by(segments.c.conversation_id, segments.c.start_ms, segments.c.segment_id)
    )
    return [read_segment(row) for row in conn.execute(query)]


def segment(conn: Connection, account_sid: str, segment_id: str) -> SegmentRecord | None:
    query = select(segments).where(
        segments.c.account_sid == account_sid,
        segments.c.segment_id == segment_id,
        segments.c.conversation_id.is_not(None),
    )
    return optional(read_segment, conn.execute(query).first())


def segments_of_task(conn: Connection, account_sid: str, task_sid: str) -> list[SegmentRecord]:
    query = (
        select(segments)
        .where(segments.c.task_sid == task_sid, segments.c.account_sid == account_sid)
        .order_by(segments.c.start_ms, segments.c.segment_id)
    )
    return [read_segment(row) for row in conn.execute(query)]


def segment_of_reservation(
    conn: Connection, account_sid: str, reservation_sid: str
) -> SegmentRecord | None:
    query = (
        select(segments)
        .where(
            segments.c.reservation_sid == reservation_sid,
            segments.c.account_sid == account_sid,
        )
        .order_by(segments.c.start_ms.desc(), segments.c.segment_id)
    )
    return optional(read_segment, conn.execute(query).first())


def segments_query(
    account_sid: str,
    segment_id: str | None,
    reservation_sids: Sequence[str],
    scope: ScopeTags = None,
) -> Select[Any]:
    """An account's conversation segments (Agent Status belongs to none), optionally some."""
    query = select(segments).where(
        segments.c.account_sid == account_sid, segments.c.conversation_id.is_not(None)
    )
    if scope is not None:
        query = query.where(in_scope(scope, segments.c.conversation_id))
    if segment_id is not None:
        query = query.where(segments.c.segment_id == segment_id)
    if reservation_sids:
        query = query.where(segments.c.reservation_sid.in_(list(reservation_sids)))
    return query


def conversations_query(
    account_sid: str, segment_id: str | None, scope: ScopeTags = None
) -> Select[Any]:
    """An account's conversations, or the one holding `segment_id`."""
    query = select(conversations).where(conversations.c.account_sid == account_sid)
    if scope is not None:
        query = query.where(in_scope(scope))
    if segment_id is not None:
        query = query.where(
            exists().where(
                segments.c.account_sid == conversations.c.account_sid,
                segments.c.conversation_id == conversations.c.conversation_id,
                segments.c.segment_id == segment_id,
            )
        )
    return query


def _group_key(group_by: str) -> ColumnElement[Any]:
    c = conversations.c
    if group_by == "day":
        return c.start_ms - c.start_ms % DAY_MS
    if group_by == "hour":
        return c.start_ms - c.start_ms % HOUR_MS
    if group_by == "quarter":  # for zones off UTC by a quarter or half hour
        return c.start_ms - c.start_ms % QUARTER_MS
    return {"queue": c.queue, "agent": c.agent, "channel": c.channel}[group_by]


def _measures(service_level_seconds: int) -> list[ColumnElement[Any]]:
    c = conversations.c
    answered_in_time = and_(c.handled, c.queue_time <= service_level_seconds)
    return [
        func.count().label("volume"),
        func.coalesce(func.sum(case((answered_in_time, 1), else_=0)), 0).label("within_sl"),
        func.coalesce(func.sum(case((c.handled, 1), else_=0)), 0).label("handled"),
        func.coalesce(func.sum(case((c.abandoned, 1), else_=0)), 0).label("abandoned"),
        func.avg(c.queue_time).label("avg_queue_time"),
        # AVG skips NULLs: talk, wrap-up and handling average over handled conversations.
        func.avg(case((c.handled, c.talk_time))).label("avg_talk_time"),
        func.avg(case((c.handled, c.wrap_up_time))).label("avg_wrap_up_time"),
        func.avg(case((c.handled, c.handling_time))).label("avg_handling_time"),
    ]


def aggregate(
    conn: Connection,
    account_sid: str,
    filters: ConversationCriteria,
    group_by: str,
    scope: ScopeTags = None,
    service_level_seconds: int = 20,
) -> tuple[list[GroupMeasures], GroupMeasures]:
    """(each group's measures; those of all groups together)."""
    where = and_(*conditions(account_sid, filters, conn.dialect.name, scope))
    key = _group_key(group_by).label("group")
    measures = _measures(service_level_seconds)
    grouped = select(key, *measures).where(where).group_by(key)
    total = select(literal(None).label("group"), *measures).where(where)
    return [_read_measures(row) for row in conn.execute(grouped)], _read_measures(
        conn.execute(total).one()
    )
