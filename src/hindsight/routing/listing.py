"""Paging and ordering of lists, as services offer them to the HTTP layer.

The keyset machinery lives in the store; these names are what callers above the services
use, so the HTTP layer never imports the store.
"""

from __future__ import annotations

from hindsight.store import activities, events, task_channels, workers, workflows, workspaces
from hindsight.store.keyset import PageRequest, PageResult, SortKey, key_of

WORKSPACE_ORDER = workspaces.SORT
ACTIVITY_ORDER = activities.SORT
TASK_CHANNEL_ORDER = task_channels.SORT
WORKFLOW_ORDER = workflows.SORT
WORKER_CHANNEL_ORDER = workers.CHANNEL_SORT
EVENT_ORDER = events.SORT

__all__ = [
    "ACTIVITY_ORDER",
    "EVENT_ORDER",
    "TASK_CHANNEL_ORDER",
    "WORKER_CHANNEL_ORDER",
    "WORKFLOW_ORDER",
    "WORKSPACE_ORDER",
    "PageRequest",
    "PageResult",
    "SortKey",
    "key_of",
]
