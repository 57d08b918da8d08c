"""Report figures by group (a day, an hour, a queue, ...), as the Insights service returns them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AggregateRow:
    group: Any
    volume: int
    handled: int
    abandoned: int
    avg_queue_time: float | None
    avg_talk_time: float | None
    avg_wrap_up_time: float | None
    avg_handling_time: float | None
    # Handled within the service-level threshold (queue time at most that many seconds).
    within_service_level: int = 0

    @property
    def service_level(self) -> float | None:
        """Share answered in time of those that ended handled or abandoned (Flex's rule of
        thumb: the abandoned count against it, the ones still waiting do not)."""
        offered = self.handled + self.abandoned
        return None if offered == 0 else round(self.within_service_level / offered, 4)


@dataclass(frozen=True)
class Aggregates:
    group_by: str
    groups: list[AggregateRow]
    total: AggregateRow
