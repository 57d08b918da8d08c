"""Saved searches: what a name and a stored query may be.

A saved search keeps the conversation list's query string, reduced to the filters and order
the list understands (never a page token, never an unknown key), so opening one later shows
the same filters as chips and cannot carry anything else into the page.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import parse_qsl, urlencode

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.search import filter_keys as filters

MAX_NAME = 80
MAX_QUERY = 2000
MAX_PER_PERSON = 100
# The list's filters, its date range as the page's form gives it, and its order.
KEYS = frozenset(
    (
        *("range", "from", "to", "start", "end"),
        *filters.DIMENSIONS,
        *filters.FLAGS,
        *filters.TEXT,
        *filters.ATTRIBUTE,
        *filters.QUALITY,
        *filters.DURATIONS,
        *("sort", "order"),
    )
)
ATTRIBUTE_PREFIX = "attribute."


def clean_name(name: object) -> str:
    """A name a person can tell apart in a list: 1 to 80 characters, no control characters."""
    if not isinstance(name, str):
        raise InvalidParameter("name must be text")
    name = " ".join(name.split())
    if not name:
        raise InvalidParameter("Give the search a name")
    if len(name) > MAX_NAME:
        raise InvalidParameter(f"A name is at most {MAX_NAME} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidParameter("A name must not contain control characters")
    return name


def clean_query(query: object) -> str:
    """The list's query string with only the filters and order it understands, in order."""
    if not isinstance(query, str):
        raise InvalidParameter("query must be text")
    query = query.lstrip("?")
    if len(query) > MAX_QUERY:
        raise InvalidParameter(f"A saved query is at most {MAX_QUERY} characters")
    kept: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=False):
        if "\x00" in key or "\x00" in value:
            raise InvalidParameter("A saved query must not contain NUL characters")
        if key in KEYS or (key.startswith(ATTRIBUTE_PREFIX) and len(key) <= 74):
            kept.setdefault(key, value.strip())
    return urlencode([(k, v) for k, v in kept.items() if v])
