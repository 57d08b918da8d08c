"""What callers restrict conversation searches, aggregates and exports to (service inputs).

The store reads these values through `store.insights_queries.ConversationCriteria`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy import Connection

from hindsight.store import insights_queries as store
from hindsight.store.quality.search import QualityFilter

DAY_MS = store.DAY_MS
HOUR_MS = store.HOUR_MS
# How aggregates may be grouped.
GROUPINGS = store.GROUPINGS
# Measures a search can bound ("talk longer than 10 minutes"), and the two kinds of bound.
DURATION_MEASURES = tuple(store.DURATION_COLUMNS)
AT_LEAST, AT_MOST = store.AT_LEAST, store.AT_MOST


@dataclass(frozen=True)
class ConversationFilters:
    """What a conversation search, aggregate or export is restricted to (all must hold)."""

    start_ms: int | None = None  # conversations starting at or after this instant
    end_ms: int | None = None  # ... and strictly before this one
    workspace_sid: str | None = None
    # Named values match whatever their case ("sales" finds "Sales"), through the pick lists.
    queue: str | None = None  # any segment was in this queue
    agent: str | None = None  # any segment was with this agent
    team: str | None = None  # any segment was handled by this team
    channel: str | None = None
    direction: str | None = None
    outcome: str | None = None
    abandoned: bool | None = None
    handled: bool | None = None
    has_media: bool | None = None
    in_progress: bool | None = None
    # Reportable conversation attributes that must equal the given text.
    attributes: tuple[tuple[str, str], ...] = ()
    # Free text (search/ and domain/search/text_query.py): words in the conversation's
    # attributes, media titles and customer, and in its chat transcripts if
    # `search_transcripts` (the viewer may open transcripts).
    text: str | None = None
    # Assessed or not, with a questionnaire, in a score range (store/quality/search.py).
    quality: QualityFilter | None = None
    search_transcripts: bool = False
    # The customer's phone, e-mail, name or id (domain/search/customer.py).
    customer: str | None = None
    # (one of DURATION_MEASURES, AT_LEAST or AT_MOST, seconds): each must hold.
    durations: tuple[tuple[str, str, int], ...] = ()
    # Set by `narrowed`: the row ids of all conversations the text and customer match, when
    # they are few (read by id, not found by walking the account's conversations).
    within: tuple[int, ...] | None = None


def narrowed(
    conn: Connection, account_sid: str, filters: ConversationFilters
) -> ConversationFilters:
    """The filters, with the conversations the text and customer match listed when few."""
    within = store.matching_few(conn, account_sid, filters)
    return filters if within is None else dataclasses.replace(filters, within=within)
