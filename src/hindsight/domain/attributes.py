"""The `Attributes` of tasks and workers: a JSON object carried as a string.

TaskRouter stores the string as given and returns it verbatim; we do the same, after checking
that it is a JSON object no larger than the configured limit.
"""

from __future__ import annotations

from typing import Any

import orjson

from hindsight.domain.errors import InvalidParameter

DEFAULT_ATTRIBUTES = "{}"


def parse_attributes(
    raw: str, *, limit_bytes: int, parameter: str = "Attributes"
) -> dict[str, Any]:
    """Return the decoded object, or raise a 4xx naming what is wrong."""
    size = len(raw.encode("utf-8"))
    if size > limit_bytes:
        raise InvalidParameter(
            f"{parameter} is {size} bytes; the limit is {limit_bytes} bytes "
            f"(setting HINDSIGHT_MAX_ATTRIBUTES_BYTES)"
        )
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(f"{parameter} must be valid JSON: {exc}") from None
    if not isinstance(value, dict):
        kind = type(value).__name__ if value is not None else "null"
        raise InvalidParameter(f"{parameter} must be a JSON object, got {kind}")
    return value
