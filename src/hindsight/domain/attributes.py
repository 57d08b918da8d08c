"""The `Attributes` of tasks and workers: a JSON object carried as a string.

TaskRouter stores the string as given and returns it verbatim; we do the same, after checking
that it is a JSON object no larger than the configured limit. Two readings, named for where
the string comes from:

* `parse_attributes` (strict): what a caller sends us; anything but a JSON object within the
  size limit is refused with a 4xx naming the problem.
* `parse_lenient`: what the event log already holds (events from Twilio are taken as they
  come); anything but a JSON object reads as no attributes at all.

Integrations may also wrap the attributes in `task_attributes`; `unwrap` reads both forms.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def parse_lenient(raw: str | None) -> dict[str, Any]:
    """The decoded object, or an empty one when the string is missing or not a JSON object."""
    if not raw:
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def unwrap(attributes: Mapping[str, Any]) -> Mapping[str, Any]:
    """Attributes as written at the root, or wrapped in `task_attributes` (a documented variant).

    The wrapped object counts only when it carries `conversations` or `reservation_attributes`;
    keys at the root win over the wrapped ones.
    """
    wrapped = attributes.get("task_attributes")
    if isinstance(wrapped, Mapping) and (
        "conversations" in wrapped or "reservation_attributes" in wrapped
    ):
        return {**wrapped, **{k: v for k, v in attributes.items() if k != "task_attributes"}}
    return attributes
