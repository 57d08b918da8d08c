"""Reading the projection's JSON columns (a segment's attributes, media, customer): one parse
per distinct text.

A projection batch reads each segment's JSON columns several times over: for the
conversation's summary, its scope tags and its search entry, and the same stored rows come
back batch after batch while a conversation is active (about ten parses per task update, the
largest single cost of the projector's Python time). The parsed values are shared between
those readers, so they must only be read, never changed.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson

# Enough for the rows of several batches of a thousand events; each entry is one column's
# text and its parsed value.
_CACHED = 8192


@functools.lru_cache(maxsize=_CACHED)
def _parsed(text: str) -> Any:
    return orjson.loads(text)


def read_column(text: Any, default: Any) -> Any:
    """The parsed value of a JSON column (shared: do not change it), or `default` when the
    column is empty, not text, or not valid JSON."""
    if not isinstance(text, str) or not text:
        return default
    try:
        return _parsed(text)
    except orjson.JSONDecodeError:
        return default
