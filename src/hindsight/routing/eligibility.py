"""Which workers a queue or an expression selects."""

from __future__ import annotations

from typing import Any

from hindsight.domain import expressions
from hindsight.domain.attributes import parse_attributes

# Stored attributes were size-checked when written; reading them back needs no limit.
_NO_LIMIT = 1 << 30


def queue_accepts(target_workers: str | None, worker_attributes: dict[str, Any]) -> bool:
    """Whether a queue's TargetWorkers expression selects a worker with these attributes.

    An empty expression selects nobody: tasks then wait until moved or deleted (TaskRouter).
    """
    if not target_workers or not target_workers.strip():
        return False
    return expressions.matches_worker(target_workers, worker_attributes, {})


def worker_document(worker: Any) -> dict[str, Any]:
    """A worker's attributes plus the fields TargetWorkersExpression may name."""
    document = parse_attributes(worker.attributes, limit_bytes=_NO_LIMIT)
    return {
        **document,
        "sid": worker.sid,
        "friendly_name": worker.friendly_name,
        "activity_sid": worker.activity_sid,
        "activity_name": worker.activity_name,
    }


def worker_matches(expression: str, worker: Any) -> bool:
    return expressions.matches_worker(expression, worker_document(worker), {})
