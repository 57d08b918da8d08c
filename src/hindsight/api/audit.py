"""Reading the audit trail (admins, and integrations feeding a SIEM): `/api/v1/audit`.

Filters: actor (a SID or user name), action (exact, or a family such as `media`), object_id,
outcome, start / end (ISO 8601). Newest first, keyset pages; `audit.csv` exports a search.
Reading the trail is itself recorded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from hindsight.api import identity, kit
from hindsight.api.paging import decode_token, encode_token
from hindsight.audit.trail import NEWEST_FIRST, AuditFilters, record_fields
from hindsight.domain.access import Viewer
from hindsight.domain.csv_export import CsvWriter
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.paging import PageRequest
from hindsight.domain.timefmt import parse_iso8601

PREFIX = "/api/v1/audit"
COLUMNS = (
    "seq",
    "at_ms",
    "account_sid",
    "actor_type",
    "actor_sid",
    "actor_name",
    "roles",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "reason",
    "ip",
    "detail",
    "previous_hash",
    "hash",
)
_PARAMS = {"actor", "action", "object_id", "outcome", "start", "end", "page_size", "page_token"}
_ORDERING = "audit:newest"

router = APIRouter(tags=["audit"])


def _instant(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    return parse_iso8601(value, name)


def _filters(request: Request) -> AuditFilters:
    unknown = sorted(set(request.query_params) - _PARAMS)
    if unknown:
        raise InvalidParameter(f"Unknown parameter {unknown[0]!r}")
    params = request.query_params
    outcome = params.get("outcome")
    if outcome is not None and outcome not in ("allowed", "denied", "failed"):
        raise InvalidParameter("outcome must be allowed, denied or failed")
    return AuditFilters(
        actor=params.get("actor"),
        action=params.get("action"),
        object_id=params.get("object_id"),
        outcome=outcome,
        start_ms=_instant(params.get("start"), "start"),
        end_ms=_instant(params.get("end"), "end"),
    )


def page_after(page_token: str | None) -> Any:
    """Where a page of the newest-first trail starts (None: at the newest record)."""
    if not page_token:
        return None
    _direction, after = decode_token(page_token, _ORDERING, NEWEST_FIRST)
    return after


def next_page_token(result: Any) -> str | None:
    """The token of the page after `result` (older records), when there is one."""
    if result.has_next and result.rows:
        return encode_token("a", (result.rows[-1].seq,), _ORDERING)
    return None


@router.get(PREFIX, summary="Search the audit trail")
async def search(
    request: Request,
    viewer: Viewer = Depends(identity.viewer),
    page_size: int = Query(100, ge=1, le=1000),
    page_token: str | None = Query(None),
) -> Response:
    filters = _filters(request)
    result = await identity.services(request).audit.search(
        viewer, filters, PageRequest(size=page_size, after=page_after(page_token))
    )
    next_token = next_page_token(result)
    document = {
        "records": [record_fields(r) for r in result.rows],
        "meta": {"page_size": page_size, "next_page_token": next_token},
    }
    return Response(
        orjson.dumps(document),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


@router.get(PREFIX + ".csv", summary="Export an audit search as CSV")
async def export(request: Request, viewer: Viewer = Depends(identity.viewer)) -> Response:
    filters = _filters(request)
    pages = identity.services(request).audit.export(viewer, filters)
    first = await anext(pages, None)

    async def body() -> AsyncIterator[str]:
        writer = CsvWriter(COLUMNS)
        page = first
        while page is not None:
            for record in page:
                writer.write(record)
            yield writer.take()
            page = await anext(pages, None)
        yield writer.take()

    return kit.csv_attachment(body(), "audit.csv")
