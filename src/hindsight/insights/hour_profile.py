"""The hour-of-day profile: conversations by the hour of the day they started, in a named time
zone, summed over the period (a Monday 09:00 and a Tuesday 09:00 both count at 09).

The store groups by UTC buckets (hours, or quarter hours for zones whose offset is not a whole
hour, such as Asia/Kolkata); each bucket is then placed at its local hour, daylight-saving
changes included, so the profile is exact in the zone people work in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hindsight.domain.errors import InvalidParameter
from hindsight.insights.aggregate_rows import AggregateRow

HOUR_MS = 3_600_000
QUARTER_MS = 900_000
HOURS = 24


def zone(name: str | None) -> ZoneInfo:
    """The IANA time zone named (UTC when none is), or a 400."""
    if not name:
        return ZoneInfo("UTC")
    if len(name) > 64 or ".." in name or name.startswith("/"):
        raise InvalidParameter("tz must be an IANA time zone such as Europe/Paris")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidParameter(
            f"Unknown time zone {name[:64]!r}; use one such as Europe/Paris"
        ) from None


def bucket_ms(tz: ZoneInfo, instants_ms: Iterable[int]) -> int:
    """The UTC bucket that local hours are made of: an hour, unless the zone is ever off a
    whole hour around these instants."""
    for ms in instants_ms:
        offset = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(tz).utcoffset()
        if offset is not None and offset.total_seconds() % 3600:
            return QUARTER_MS
    return HOUR_MS


def local_hour(start_ms: int, tz: ZoneInfo) -> int:
    return datetime.fromtimestamp(start_ms / 1000, tz=UTC).astimezone(tz).hour


def _weighted(rows: list[AggregateRow], value: str, weight: str) -> float | None:
    total = sum(getattr(r, weight) for r in rows if getattr(r, value) is not None)
    if not total:
        return None
    summed = sum(
        getattr(r, value) * getattr(r, weight) for r in rows if getattr(r, value) is not None
    )
    return round(summed / total, 3)


def fold(buckets: Iterable[AggregateRow], tz: ZoneInfo) -> list[AggregateRow]:
    """24 rows, hours 0 to 23 in `tz`, from rows grouped by UTC bucket start (epoch ms).
    Averages are re-weighted: queue time over all conversations, talk, wrap-up and handling
    over handled ones, as the store averages them."""
    by_hour: dict[int, list[AggregateRow]] = {h: [] for h in range(HOURS)}
    for row in buckets:
        if row.group is not None:
            by_hour[local_hour(int(row.group), tz)].append(row)
    return [
        AggregateRow(
            group=hour,
            volume=sum(r.volume for r in rows),
            handled=sum(r.handled for r in rows),
            abandoned=sum(r.abandoned for r in rows),
            avg_queue_time=_weighted(rows, "avg_queue_time", "volume"),
            avg_talk_time=_weighted(rows, "avg_talk_time", "handled"),
            avg_wrap_up_time=_weighted(rows, "avg_wrap_up_time", "handled"),
            avg_handling_time=_weighted(rows, "avg_handling_time", "handled"),
            within_service_level=sum(r.within_service_level for r in rows),
        )
        for hour, rows in by_hour.items()
    ]
