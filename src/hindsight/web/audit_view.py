"""The audit page: filters (who, action, object, outcome, period), pages of the newest-first
trail beyond the first, and the object of each record linked to what it names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from hindsight.api.audit import next_page_token, page_after
from hindsight.audit.trail import AuditFilters, record_fields
from hindsight.domain.access import Viewer
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.paging import PageRequest

PAGE_SIZE = 100
_DAY_MS = 86_400_000
_OUTCOMES = ("allowed", "denied", "failed")
FIELDS = ("actor", "action", "object_id", "outcome", "from", "to")


def _day_ms(value: str | None, name: str) -> int | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidParameter(f"{name} must be a date such as 2024-05-14") from None
    return int(day.timestamp() * 1000)


def filters_of(shown: dict[str, str]) -> AuditFilters:
    if shown.get("outcome") not in (None, *_OUTCOMES):
        raise InvalidParameter("outcome must be allowed, denied or failed")
    start = _day_ms(shown.get("from"), "from")
    end = _day_ms(shown.get("to"), "to")
    if start is not None and end is not None and end < start:
        raise InvalidParameter("to must not be before from")
    return AuditFilters(
        actor=shown.get("actor"),
        action=shown.get("action"),
        object_id=shown.get("object_id"),
        outcome=shown.get("outcome"),
        start_ms=start,
        end_ms=None if end is None else end + _DAY_MS,  # the whole last day
    )


def object_link(record: dict[str, Any]) -> str | None:
    """Where the record's object can be seen: a conversation, a segment's media, a recording."""
    object_id, kind = record.get("object_id") or "", record.get("object_type") or ""
    if not object_id:
        return None
    if kind == "conversation":
        return f"/conversations/{quote(object_id, safe='')}"
    if kind == "media" and object_id.startswith("SG"):
        return f"/segments/{quote(object_id.split('/', 1)[0], safe='')}"
    if object_id.startswith("SG") and len(object_id) == 34:
        return f"/segments/{quote(object_id, safe='')}"
    if object_id.startswith("WT") and len(object_id) == 34:
        return f"/tasks/{quote(object_id, safe='')}"
    return None


async def audit_context(audit: Any, viewer: Viewer, params: dict[str, str]) -> dict[str, Any]:
    shown = {k: params[k].strip() for k in FIELDS if params.get(k, "").strip()}
    token = params.get("page_token") or None
    result = await audit.search(
        viewer, filters_of(shown), PageRequest(size=PAGE_SIZE, after=page_after(token))
    )
    records = [record_fields(r) for r in result.rows]
    for record in records:
        record["link"] = object_link(record)
    # The CSV export takes the same filters, with the period as instants.
    csv_query = {k: v for k, v in shown.items() if k not in ("from", "to")}
    filters = filters_of(shown)
    for name, ms in (("start", filters.start_ms), ("end", filters.end_ms)):
        if ms is not None:
            csv_query[name] = datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "records": records,
        "shown": shown,
        "csv_query": csv_query,
        "older": next_page_token(result),
        "paged": token is not None,
    }
