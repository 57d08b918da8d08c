"""Which workers may take a task, and in which order they are offered it.

A worker qualifies when its activity is available, its channel for the task is available and
below capacity, the queue's TargetWorkers expression selects it, and the workflow target's
expression (which may compare `worker.` with `task.` attributes) does too. Among those, the
target's `order_by` decides, then whoever has waited longest since their last reservation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hindsight.domain import expressions
from hindsight.domain.errors import InvalidParameter

_ORDER_TERM = re.compile(
    r"^\s*(?:worker\.)?([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*(ASC|DESC)?\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class Candidate:
    sid: str
    document: Mapping[str, Any]  # attributes plus sid, friendly_name, activity_*
    last_reserved_ms: int  # 0: never reserved
    date_created: int
    load: int
    capacity: int
    channel_available: bool
    activity_available: bool

    def has_room(self) -> bool:
        return self.activity_available and self.channel_available and self.load < self.capacity


def selects(
    queue_target_workers: str | None,
    target_expression: str | None,
    worker: Mapping[str, Any],
    task: Mapping[str, Any],
) -> bool:
    """Whether the queue and the workflow target both select this worker for this task."""
    if not queue_target_workers or not queue_target_workers.strip():
        return False
    if not expressions.matches_worker(queue_target_workers, worker, task):
        return False
    return not target_expression or expressions.matches_worker(target_expression, worker, task)


def parse_order_by(text: str | None) -> list[tuple[tuple[str, ...], bool]]:
    """`worker.level DESC, worker.years` as [(path, descending)]."""
    if not text or not text.strip():
        return []
    terms = []
    for part in text.split(","):
        match = _ORDER_TERM.match(part)
        if match is None:
            raise InvalidParameter(
                f"order_by term {part.strip()!r} is not 'worker.<attribute> [ASC|DESC]'"
            )
        terms.append(
            (tuple(match.group(1).split(".")), (match.group(2) or "ASC").upper() == "DESC")
        )
    return terms


def _sortable(value: Any) -> tuple[int, Any]:
    # Missing and non-comparable values sort last, numbers before strings.
    if isinstance(value, bool) or value is None:
        return (2, 0)
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, 0)


def rank(candidates: Sequence[Candidate], order_by: str | None) -> list[Candidate]:
    """Best first: `order_by` terms, then longest since last reserved, then oldest worker."""
    ranked = sorted(
        candidates,
        key=lambda c: (c.last_reserved_ms, c.date_created, c.sid),
    )
    for path, descending in reversed(parse_order_by(order_by)):
        present = [
            c for c in ranked if _sortable(expressions.resolve_path(c.document, path))[0] < 2
        ]
        absent = [c for c in ranked if c not in present]
        present.sort(
            key=lambda c: _sortable(expressions.resolve_path(c.document, path)), reverse=descending
        )
        ranked = present + absent
    return ranked
