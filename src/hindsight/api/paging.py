"""Twilio's paging envelope over keyset pages.

Clients see `PageSize`, `Page` and an opaque `PageToken`; the token carries the sort key of the
boundary row plus the ordering it belongs to, so paging stays exact while rows are inserted or
deleted, and a token used with a different ordering is refused instead of misread.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import Request

from hindsight.api.forms import Params
from hindsight.domain.errors import InvalidParameter
from hindsight.domain.paging import PageRequest, PageResult
from hindsight.routing.listing import SortKey, key_of

PAGING_PARAMS = ("PageSize", "Page", "PageToken")
# Credentials the helper libraries copy into list queries (the Flex token): never echoed into
# the page URLs of a response, where they would be logged and shared.
_NEVER_ECHOED = ("Authorization", "Token")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_PAGE = 2**31 - 1


@dataclass(frozen=True)
class Paging:
    request: PageRequest
    page: int
    ordering: str


def encode_token(direction: str, key: tuple[Any, ...], ordering: str) -> str:
    raw = orjson.dumps({"d": direction, "k": list(key), "o": ordering})
    return "PT" + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: str, ordering: str, keys: Sequence[SortKey]) -> tuple[str, tuple[Any, ...]]:
    invalid = InvalidParameter(f"PageToken {token!r} is not a token this list issued")
    if not token.startswith("PT"):
        raise invalid
    body = token[2:]
    try:
        data = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError):
        raise invalid from None
    if (
        not isinstance(data, dict)
        or data.get("d") not in ("a", "b")
        or data.get("o") != ordering
        or not isinstance(data.get("k"), list)
        or len(data["k"]) != len(keys)
        or not all(k.accepts(v) for v, k in zip(data["k"], keys, strict=True))
    ):
        raise invalid
    return data["d"], tuple(data["k"])


def parse(
    params: Params, keys: Sequence[SortKey], ordering: str = "", max_size: int = MAX_PAGE_SIZE
) -> Paging:
    """`max_size`: the largest PageSize the API's spec allows (TaskRouter 1000, most
    other Twilio APIs 100)."""
    size = params.integer("PageSize", minimum=1, maximum=max_size)
    page = params.integer("Page", minimum=0, maximum=MAX_PAGE)
    token = params.text("PageToken")
    after = before = None
    if isinstance(token, str) and token:
        direction, key = decode_token(token, ordering, keys)
        if direction == "a":
            after = key
        else:
            before = key
    request = PageRequest(
        size=size if isinstance(size, int) else DEFAULT_PAGE_SIZE, after=after, before=before
    )
    return Paging(request=request, page=page if isinstance(page, int) else 0, ordering=ordering)


def _url(base: str, path: str, filters: list[tuple[str, str]], extra: list[tuple[str, str]]) -> str:
    return f"{base}{path}?{urlencode(filters + extra)}"


def envelope(
    request: Request,
    base: str,
    key: str,
    items: list[dict[str, Any]],
    result: PageResult,
    keys: Sequence[SortKey],
    paging: Paging,
) -> dict[str, Any]:
    """The list body: `{<key>: [...], "meta": {...}}` with Twilio's meta fields."""
    filters = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k not in PAGING_PARAMS and k not in _NEVER_ECHOED
    ]
    size = paging.request.size
    path = request.url.path
    current: list[tuple[str, str]] = [("PageSize", str(size)), ("Page", str(paging.page))]
    token = request.query_params.get("PageToken")
    if token:
        current.append(("PageToken", token))
    next_url = previous_url = None
    if result.has_next and result.rows:
        next_token = encode_token("a", key_of(result.rows[-1], keys), paging.ordering)
        next_url = _url(
            base,
            path,
            filters,
            [("PageSize", str(size)), ("Page", str(paging.page + 1)), ("PageToken", next_token)],
        )
    if result.has_previous and result.rows and paging.page > 0:
        previous_token = encode_token("b", key_of(result.rows[0], keys), paging.ordering)
        previous_url = _url(
            base,
            path,
            filters,
            [
                ("PageSize", str(size)),
                ("Page", str(paging.page - 1)),
                ("PageToken", previous_token),
            ],
        )
    return {
        key: items,
        "meta": {
            "first_page_url": _url(base, path, filters, [("PageSize", str(size)), ("Page", "0")]),
            "key": key,
            "next_page_url": next_url,
            "page": paging.page,
            "page_size": size,
            "previous_page_url": previous_url,
            "url": _url(base, path, filters, current),
        },
    }
