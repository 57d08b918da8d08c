"""What the JSON APIs and the pages share: the services, parameter checks, no-store answers,
keyset paging metadata and the one conversation filter parser.

Handlers in `api/` and `web/` reach the services only through `services(request)`, and build
conversation filters only through `conversation_filters`, so a search means the same thing in
the Insights API, the conversation pages and their CSV exports.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from starlette.responses import StreamingResponse

from hindsight.api.paging import decode_token, encode_token
from hindsight.app_services import Services
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.domain.search import customer as customer_search
from hindsight.domain.search import text_query
from hindsight.domain.sids import Prefix, is_sid
from hindsight.insights.filters import AT_LEAST, AT_MOST, DURATION_MEASURES, ConversationFilters
from hindsight.quality.http.search_params import quality_filter
from hindsight.routing.listing import SortKey, key_of

ATTRIBUTE_PREFIX = "attribute."
# Conversation attribute keys a filter may name (the store reads them as JSON keys).
_ATTRIBUTE_KEY = re.compile(r"^[A-Za-z0-9_]{1,64}$")
MAX_SECONDS = 10_000_000


def services(request: Request) -> Services:
    """The application's services, wired once by the composition root."""
    services: Services = request.app.state.services
    return services


def no_store(response: Response) -> None:
    """A router dependency: personal data is never kept by caches."""
    response.headers["Cache-Control"] = "no-store"


# --- parameters -----------------------------------------------------------------------------


def csv_attachment(body: str | AsyncIterator[str], filename: str) -> Response:
    """A CSV download (`body` whole or streamed as it is written), never cached."""
    headers = {
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    media_type = "text/csv; charset=utf-8"
    if isinstance(body, str):
        return Response(body, media_type=media_type, headers=headers)
    return StreamingResponse(body, media_type=media_type, headers=headers)


def only(request: Request, allowed: Iterable[str], attributes: bool = False) -> None:
    """Refuse unknown or repeated parameters: a misspelt filter must not widen a search."""
    names = set(allowed)
    given = [*request.query_params.multi_items(), *request.path_params.items()]
    if any("\x00" in f"{name}{value}" for name, value in given):
        # PostgreSQL text cannot hold NUL; refuse it here for both stores alike.
        raise InvalidParameter("Parameters must not contain NUL characters")
    for name in request.query_params:
        if name not in names and not (attributes and name.startswith(ATTRIBUTE_PREFIX)):
            listed = ", ".join(sorted(names)) + (", attribute.<key>" if attributes else "")
            raise InvalidParameter(
                f"Unknown parameter {name!r}. Parameters accepted here: {listed}"
            )
        if len(request.query_params.getlist(name)) > 1:
            raise InvalidParameter(f"{name} was given more than once; give it once")


def attribute_key(key: str, name: str) -> str:
    """`key`, if a conversation attribute filter may name it (`name`: the parameter)."""
    if not _ATTRIBUTE_KEY.match(key):
        raise InvalidParameter(f"{name}: attribute keys are 1 to 64 letters, digits or underscores")
    return key


def attribute_filters(request: Request) -> tuple[tuple[str, str], ...]:
    """The `attribute.<key>=<value>` parameters, sorted by key."""
    found = []
    for name, value in request.query_params.items():
        if name.startswith(ATTRIBUTE_PREFIX):
            found.append((attribute_key(name[len(ATTRIBUTE_PREFIX) :], name), value))
    return tuple(sorted(found))


def duration_filters(params: Mapping[str, str]) -> tuple[tuple[str, str, int], ...]:
    """`min_<measure>` / `max_<measure>` thresholds in whole seconds (empty ones ignored)."""
    found = []
    for measure in DURATION_MEASURES:
        for bound in (AT_LEAST, AT_MOST):
            name = f"{bound}_{measure}"
            given = (params.get(name) or "").strip()
            if not given:
                continue
            if not given.isdigit() or int(given) > MAX_SECONDS:
                raise InvalidParameter(
                    f"{name} must be a whole number of seconds from 0 to {MAX_SECONDS}"
                )
            found.append((measure, bound, int(given)))
    return tuple(found)


def checked_text(q: str | None) -> str | None:
    if q:
        text_query.parse(q)  # refuses what cannot be searched for, before any query runs
    return q or None


def checked_customer(customer: str | None) -> str | None:
    if customer is None or customer == "":
        return None
    customer_search.wanted_keys(customer)
    return customer


def conversation_filters(
    params: Mapping[str, str],
    *,
    start_ms: int | None,
    end_ms: int | None,
    attributes: tuple[tuple[str, str], ...],
    flags: Mapping[str, bool | None],
    workspace_sid: str | None = None,
) -> ConversationFilters:
    """The one reading of a conversation search's parameters, for the API and the pages.

    `params` gives the named text filters, the free text, the customer, the duration bounds
    and the quality filter; the caller has read the period, the attribute pairs and the yes/no
    `flags` (abandoned, handled, has_media, in_progress), whose spelling differs between the
    JSON API and the web form.
    """
    if start_ms is not None and end_ms is not None and end_ms < start_ms:
        raise InvalidParameter("end is before start")
    if workspace_sid is not None and not is_sid(workspace_sid, Prefix.WORKSPACE):
        raise InvalidParameter(
            f"workspace_sid must be WS followed by 32 hex digits, got {workspace_sid!r}"
        )
    return ConversationFilters(
        start_ms=start_ms,
        end_ms=end_ms,
        workspace_sid=workspace_sid,
        queue=params.get("queue"),
        agent=params.get("agent"),
        team=params.get("team"),
        channel=params.get("channel"),
        direction=params.get("direction"),
        outcome=params.get("outcome"),
        abandoned=flags.get("abandoned"),
        handled=flags.get("handled"),
        has_media=flags.get("has_media"),
        in_progress=flags.get("in_progress"),
        attributes=attributes,
        quality=quality_filter(params),
        text=checked_text(params.get("q")),
        customer=checked_customer(params.get("customer")),
        durations=duration_filters(params),
    )


# --- answers --------------------------------------------------------------------------------


def instant(epoch_ms: int | None) -> str | None:
    """An instant as ISO 8601 UTC with milliseconds (`2024-05-14T09:30:00.000Z`)."""
    if epoch_ms is None:
        return None
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- keyset paging (page_size / page_token) -------------------------------------------------


def page_request(
    token: str | None, size: int, keys: Sequence[SortKey], ordering: str
) -> PageRequest:
    """The page a `page_token` of a list in `ordering` asks for (the first without one)."""
    if not token:
        return PageRequest(size=size)
    direction, key = decode_token(token, ordering, keys)
    if direction == "a":
        return PageRequest(size=size, after=key)
    return PageRequest(size=size, before=key)


def page_url(request: Request, token: str | None) -> str | None:
    if token is None:
        return None
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "page_token"]
    return f"{request.url.path}?{urlencode([*pairs, ('page_token', token)])}"


def page_meta(
    request: Request, result: PageResult, keys: Sequence[SortKey], ordering: str, size: int
) -> dict[str, Any]:
    """The `meta` of a keyset page: its size, and the tokens and URLs of its neighbours."""
    next_token = previous_token = None
    if result.has_next and result.rows:
        next_token = encode_token("a", key_of(result.rows[-1], keys), ordering)
    if result.has_previous and result.rows:
        previous_token = encode_token("b", key_of(result.rows[0], keys), ordering)
    return {
        "page_size": size,
        "next_page_token": next_token,
        "previous_page_token": previous_token,
        "next_page_url": page_url(request, next_token),
        "previous_page_url": page_url(request, previous_token),
    }
