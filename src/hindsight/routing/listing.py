"""Paging and ordering of lists, as services offer them to the HTTP layer.

The keyset machinery lives in the store; these names are what callers above the services
use, so the HTTP layer never imports the store. The page request and result are the domain's
(domain/paging.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hindsight.domain.errors import InvalidParameter
from hindsight.store import activities, events, task_channels, workers, workflows, workspaces
from hindsight.store.keyset import SortKey, key_of

WORKSPACE_ORDER = workspaces.SORT
ACTIVITY_ORDER = activities.SORT
TASK_CHANNEL_ORDER = task_channels.SORT
WORKFLOW_ORDER = workflows.SORT
WORKER_CHANNEL_ORDER = workers.CHANNEL_SORT
EVENT_ORDER = events.SORT


def parse_ordering(
    ordering: str | None,
    allowed: Mapping[str, Any],
    default: tuple[SortKey, ...],
    *,
    several: bool = False,
) -> tuple[SortKey, ...]:
    """Twilio's `Ordering` (`Field:asc|desc`, comma-separated pairs where `several`) as sort
    keys, ending with the default's last key (the SID) so every row has one place."""
    if not ordering:
        return default
    parts = [p.strip() for p in ordering.split(",")] if several else [ordering.strip()]
    keys: list[SortKey] = []
    seen: set[str] = set()
    for part in parts:
        field, _, direction = part.partition(":")
        direction = (direction or "asc").lower()
        if field not in allowed or direction not in ("asc", "desc"):
            fields = ", ".join(allowed)
            raise InvalidParameter(
                f"Ordering must be {'a comma-separated list of ' if several else ''}"
                f"Attribute:Order with Attribute one of {fields} and Order asc or desc; "
                f"got {part!r}"
            )
        if field in seen:
            raise InvalidParameter(f"Ordering names {field} twice")
        seen.add(field)
        keys.append(SortKey(allowed[field], descending=direction == "desc"))
    return (*keys, default[-1])


__all__ = [
    "ACTIVITY_ORDER",
    "EVENT_ORDER",
    "TASK_CHANNEL_ORDER",
    "WORKER_CHANNEL_ORDER",
    "WORKFLOW_ORDER",
    "WORKSPACE_ORDER",
    "SortKey",
    "key_of",
    "parse_ordering",
]
