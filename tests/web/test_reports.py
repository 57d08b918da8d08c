"""The reports' charts: categories as bars (a line across agents means nothing), a group with
no handled conversation left out instead of drawn as 0, values on the y axis, the time zone of
day and hour groupings named, and "1 conversation" in the singular."""

from __future__ import annotations

from hindsight.insights.filters import ConversationFilters
from hindsight.insights.queries import AggregateRow, Aggregates
from hindsight.web.reports import BAR_AREA, build


def _row(group: object, volume: int, handled: int, handling: float | None) -> AggregateRow:
    return AggregateRow(group, volume, handled, volume - handled, 10.0, 60.0, 5.0, handling)


def _report(group_by: str, rows: list[AggregateRow]) -> object:
    total = _row(None, sum(r.volume for r in rows), sum(r.handled for r in rows), 100.0)
    return build(Aggregates(group_by, rows, total), {}, ConversationFilters(), 20)


def test_agents_are_bars_and_a_group_with_nothing_handled_is_left_out() -> None:
    report = _report("agent", [_row("Alice", 3, 3, 120.0), _row(None, 1, 0, None)])
    assert report.is_series is False
    assert [b.label for b in report.handling_bars] == ["Alice"]
    assert report.handling_bars[0].height == BAR_AREA
    assert [p.label for p in report.handling] == ["Alice"]  # "(none)" is not a zero


def test_days_are_a_series_named_in_their_time_zone() -> None:
    day = 1_700_000_000_000 - 1_700_000_000_000 % 86_400_000
    report = _report("day", [_row(day, 2, 2, 90.0), _row(day + 86_400_000, 1, 1, 30.0)])
    assert report.is_series is True and report.handling_bars == []
    assert report.time_zone == "UTC"


def test_the_y_axes_have_values_and_counts_read_in_the_singular() -> None:
    report = _report("queue", [_row("Sales", 1, 1, 240.0)])
    assert [t.text for t in report.volume_ticks] == ["0", "1"]
    assert [t.text for t in report.handling_ticks] == ["0 s", "1:00", "2:00", "3:00", "4:00"]
    assert report.bars[0].title.startswith("Sales: 1 conversation, ")
    many = _report("queue", [_row("Sales", 8, 8, 60.0)])
    assert [t.text for t in many.volume_ticks] == ["0", "2", "4", "6", "8"]
    assert many.bars[0].title.startswith("Sales: 8 conversations, ")
    nothing = _report("queue", [_row("Sales", 2, 2, 0.0)])  # no handling time at all
    assert [t.text for t in nothing.handling_ticks] == ["0 s", "1 s"]


def test_every_axis_reads_round_values_whatever_the_highest_figure() -> None:
    # 23 conversations and 5:03 at most: the axes run a round step past them, never 0 alone.
    report = _report("agent", [_row("Alice", 23, 23, 303.0), _row("Bob", 7, 7, 95.0)])
    assert [t.text for t in report.volume_ticks] == ["0", "10", "20", "30"]
    assert [t.text for t in report.handling_ticks] == ["0 s", "2:00", "4:00", "6:00"]
    assert report.bars[0].handled_height == round(23 * BAR_AREA / 30, 1)
    assert report.handling_bars[0].height == round(303 / 360 * BAR_AREA, 1)
    hours = _report("day", [_row(1_700_006_400_000, 1234, 1000, 2.5)])
    assert [t.text for t in hours.volume_ticks] == ["0", "500", "1000", "1500"]
    assert len(hours.handling_ticks) >= 2


def test_days_read_as_dates_read_everywhere_else() -> None:
    # The pages show instants as "Dec 4, 2026, 9:15 AM"; a report's day is "Dec 4, 2026".
    day = 1_796_342_400_000  # 2026-12-04T00:00:00Z
    report = _report("day", [_row(day, 2, 2, 90.0)])
    assert report.bars[0].label == "Dec 4, 2026"
    assert report.rows[0].label == "Dec 4, 2026"
