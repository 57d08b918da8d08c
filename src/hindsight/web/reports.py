"""The reports page's figures and charts, drawn as SVG on the server (no script, no library).

Every bar and every table row links to the conversations it counts: the conversations page
with the report's filters plus the group's own (its day, hour, queue, agent or channel).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hindsight.insights.filters import DAY_MS, HOUR_MS, ConversationFilters
from hindsight.insights.queries import HOUR_OF_DAY, AggregateRow, Aggregates
from hindsight.web.render import NONE, day_label, duration, percent, query

WIDTH = 720
BAR_AREA = 200
_GROUP_FILTER = {"queue": "queue", "agent": "agent", "channel": "channel"}


@dataclass(frozen=True)
class Bar:
    label: str
    x: float
    width: float
    handled_y: float
    handled_height: float
    abandoned_y: float
    abandoned_height: float
    other_y: float
    other_height: float
    href: str
    title: str


@dataclass(frozen=True)
class Line:
    label: str
    x: float
    y: float
    value: str
    href: str


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class ValueBar:
    """One category's bar of a measure (average handling time by queue, agent, channel)."""

    label: str
    x: float
    width: float
    y: float
    height: float
    value: str
    href: str


@dataclass(frozen=True)
class Row:
    label: str
    href: str
    volume: int
    handled: int
    abandoned: int
    service_level: str
    avg_queue: str
    avg_talk: str
    avg_wrap: str
    avg_handling: str


@dataclass(frozen=True)
class ReportView:
    group_by: str
    threshold: int
    kpis: list[tuple[str, str]]
    bars: list[Bar]
    max_volume: int
    handling: list[Line]
    handling_points: str
    max_handling: float
    rows: list[Row]
    total: Row
    # Days and hours are a series (a line reads across them); queues, agents and channels are
    # categories, drawn as bars, and a group with no value is left out rather than drawn as 0.
    is_series: bool = True
    handling_bars: list[ValueBar] = field(default_factory=list)
    volume_ticks: list[Tick] = field(default_factory=list)
    handling_ticks: list[Tick] = field(default_factory=list)
    time_zone: str = "UTC"
    # What the figures are grouped by, as a heading reads it ("hour of day").
    group_title: str = ""
    # The hour-of-day profile adds up every day of the period at each hour.
    summed_note: str = ""
    width: int = WIDTH
    height: int = BAR_AREA


TITLES = {HOUR_OF_DAY: "hour of day"}


def label(group_by: str, value: Any) -> str:
    if value is None:
        return "(none)"
    if group_by == HOUR_OF_DAY:
        return f"{int(value):02d}:00"
    if group_by == "day":
        return day_label(int(value))
    if group_by == "hour":
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC).strftime("%m-%d %H:00")
    return str(value)


def drill_query(shown: dict[str, str], group_by: str, value: Any) -> str:
    """The conversations page's query for one group of this report."""
    base = {k: v for k, v in shown.items() if k not in ("group_by", "sl", "page_token", "tz")}
    if group_by in ("day", "hour") and value is not None:
        start = int(value)
        end = start + (DAY_MS if group_by == "day" else HOUR_MS)
        instant = lambda ms: datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()  # noqa: E731
        return query(base, range="all", start=instant(start), end=instant(end))
    if group_by in _GROUP_FILTER and value is not None:
        return query(base, **{_GROUP_FILTER[group_by]: str(value)})
    return query(base)


def _href(shown: dict[str, str], group_by: str, value: Any) -> str:
    """Where a group's bar or row leads: its conversations. An hour of the day spans every
    day of the period, which no conversation filter names: no link."""
    if group_by == HOUR_OF_DAY and value is not None:
        return ""
    return "/conversations?" + drill_query(shown, group_by, value)


def _row(group_by: str, shown: dict[str, str], row: AggregateRow, name: str | None = None) -> Row:
    return Row(
        label=name or label(group_by, row.group),
        href=_href(shown, group_by, row.group if not name else None),
        volume=row.volume,
        handled=row.handled,
        abandoned=row.abandoned,
        service_level=NONE if row.service_level is None else f"{100 * row.service_level:.1f} %",
        avg_queue=duration(row.avg_queue_time),
        avg_talk=duration(row.avg_talk_time),
        avg_wrap=duration(row.avg_wrap_up_time),
        avg_handling=duration(row.avg_handling_time),
    )


def build(
    result: Aggregates,
    shown: dict[str, str],
    filters: ConversationFilters,
    threshold: int,
    time_zone: str = "UTC",
) -> ReportView:
    del filters  # the shown query already carries them
    groups = result.groups
    total = result.total
    volume_step, max_volume = _scale(max((g.volume for g in groups), default=0), COUNT_STEPS)
    slot = WIDTH / max(len(groups), 1)
    bar_width = max(min(slot * 0.7, 48.0), 2.0)
    bars, lines = [], []
    handling_values = [g.avg_handling_time or 0.0 for g in groups]
    handling_step, max_handling = _scale(max(handling_values, default=0.0), SECOND_STEPS)
    for i, group in enumerate(groups):
        x = i * slot + (slot - bar_width) / 2
        scale = BAR_AREA / max_volume
        handled_h = group.handled * scale
        abandoned_h = group.abandoned * scale
        other_h = max(group.volume - group.handled - group.abandoned, 0) * scale
        name = label(result.group_by, group.group)
        href = _href(shown, result.group_by, group.group)
        bars.append(
            Bar(
                label=name,
                x=round(x, 1),
                width=round(bar_width, 1),
                handled_y=round(BAR_AREA - handled_h, 1),
                handled_height=round(handled_h, 1),
                abandoned_y=round(BAR_AREA - handled_h - abandoned_h, 1),
                abandoned_height=round(abandoned_h, 1),
                other_y=round(BAR_AREA - handled_h - abandoned_h - other_h, 1),
                other_height=round(other_h, 1),
                href=href,
                title=f"{name}: {conversations(group.volume)}, {group.handled} handled, "
                f"{group.abandoned} abandoned",
            )
        )
        if group.avg_handling_time is None:
            continue  # nothing handled: no average to draw (not a zero)
        y = BAR_AREA - group.avg_handling_time / max_handling * BAR_AREA
        lines.append(
            Line(
                label=name,
                x=round(i * slot + slot / 2, 1),
                y=round(y, 1),
                value=duration(group.avg_handling_time),
                href=href,
            )
        )
    kpis = [
        ("Conversations", str(total.volume)),
        ("Handled", str(total.handled)),
        ("Abandoned", f"{total.abandoned} ({percent(total.abandoned, total.volume)})"),
        (
            f"Service level ({threshold} s)",
            NONE if total.service_level is None else f"{100 * total.service_level:.1f} %",
        ),
        ("Avg queue time", duration(total.avg_queue_time)),
        ("Avg talk time", duration(total.avg_talk_time)),
        ("Avg wrap-up time", duration(total.avg_wrap_up_time)),
        ("Avg handling time", duration(total.avg_handling_time)),
    ]
    is_series = result.group_by in ("day", "hour", HOUR_OF_DAY)
    handling_bars = (
        []
        if is_series
        else _value_bars(result.group_by, groups, lines, slot, bar_width, max_handling)
    )
    profile = result.group_by == HOUR_OF_DAY
    return ReportView(
        time_zone=time_zone if profile else "UTC",
        group_title=TITLES.get(result.group_by, result.group_by),
        summed_note="summed over the period" if profile else "",
        is_series=is_series,
        handling_bars=handling_bars,
        volume_ticks=_ticks(max_volume, volume_step, str),
        handling_ticks=_ticks(max_handling, handling_step, duration),
        group_by=result.group_by,
        threshold=threshold,
        kpis=kpis,
        bars=bars,
        max_volume=max_volume,
        handling=lines,
        handling_points=" ".join(f"{p.x},{p.y}" for p in lines),
        max_handling=max_handling,
        rows=[_row(result.group_by, shown, g) for g in groups],
        total=_row(result.group_by, shown, total, name="All"),
    )


def conversations(count: int) -> str:
    return f"{count} conversation" + ("" if count == 1 else "s")


# Steps between the values on a y axis: counts in 1, 2, 5 x 10^n; durations in round seconds,
# minutes and hours.
COUNT_STEPS = tuple(m * 10**e for e in range(0, 9) for m in (1, 2, 5))
SECOND_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 180, 300, 600, 900, 1800, 3600, 7200, 14400, 43200)
MAX_TICKS = 4


def _scale(highest: float, steps: tuple[int, ...]) -> tuple[int, int]:
    """(step, top) of an axis reaching `highest` in at most MAX_TICKS round steps: the top is a
    whole number of steps, so every mark on the axis reads a round value."""
    highest = max(highest, 1)
    step = next((s for s in steps if s * MAX_TICKS >= highest), steps[-1])
    return step, step * math.ceil(highest / step)


def _ticks(top: int, step: int, text: Any) -> list[Tick]:
    """The values on the y axis, from 0 to the top, a step apart."""
    return [
        Tick(
            round(BAR_AREA - BAR_AREA * value / top, 1), str(value) if text is str else text(value)
        )
        for value in range(0, top + 1, step)
    ]


def _value_bars(
    group_by: str,
    groups: list[AggregateRow],
    points: list[Line],
    slot: float,
    bar_width: float,
    top: float,
) -> list[ValueBar]:
    drawn = {p.label: p for p in points}
    bars = []
    for i, group in enumerate(groups):
        point = drawn.get(label(group_by, group.group))
        if point is None or group.avg_handling_time is None:
            continue
        height = group.avg_handling_time / top * BAR_AREA
        bars.append(
            ValueBar(
                label=point.label,
                x=round(i * slot + (slot - bar_width) / 2, 1),
                width=round(bar_width, 1),
                y=round(BAR_AREA - height, 1),
                height=round(height, 1),
                value=point.value,
                href=point.href,
            )
        )
    return bars
