"""What a result list shows beside each conversation found: the customer, and (for a text
search) where the text matched. Read only for the rows of the page being shown, which the
search has already limited to the viewer's account and scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from hindsight.domain.search import text_query
from hindsight.domain.search.snippet import Snippet, snippet
from hindsight.store.search import index as store

ATTRIBUTES = "attributes"
TRANSCRIPT = "transcript"


@dataclass(frozen=True)
class Annotation:
    customer: str | None = None
    snippet: Snippet | None = None


def annotate(
    conn: Connection,
    account_sid: str,
    conversation_ids: Sequence[str],
    text: str | None,
    transcripts: bool,
) -> dict[str, Annotation]:
    """conversation id -> its customer and snippet. Transcript text is read (and shown) only
    when `transcripts`: the viewer may open transcripts."""
    documents = store.documents(conn, account_sid, conversation_ids)
    query = text_query.parse(text) if text else None
    found: dict[str, list[str]] = {}
    if query is not None and not query.empty and transcripts:
        found = store.transcripts_of(conn, account_sid, conversation_ids)
    out: dict[str, Annotation] = {}
    for cid in conversation_ids:
        document = documents.get(cid)
        excerpt = None
        if query is not None and not query.empty:
            if document is not None:
                excerpt = snippet(ATTRIBUTES, document.body, query)
            for body in found.get(cid, []) if excerpt is None else []:
                excerpt = excerpt or snippet(TRANSCRIPT, body, query)
        out[cid] = Annotation(
            customer=document.customer if document is not None else None, snippet=excerpt
        )
    return out
