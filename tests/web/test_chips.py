"""Filter chips and the period box name dates and times as the rest of the pages do."""

from __future__ import annotations

from hindsight.web import chips


def _period(**shown: str) -> str | None:
    return chips.period_text(shown)


def test_a_reports_day_is_named_as_the_pages_name_dates() -> None:
    assert _period(start="2026-12-07T00:00:00+00:00", end="2026-12-08T00:00:00+00:00") == (
        "Dec 7, 2026"
    )


def test_a_reports_hour_is_named_with_its_clock_times() -> None:
    assert _period(start="2026-12-07T09:00:00+00:00", end="2026-12-07T10:00:00+00:00") == (
        "Dec 7, 2026, 9:00 AM to 10:00 AM UTC"
    )
    assert _period(start="2026-12-07T23:00:00+00:00", end="2026-12-08T00:00:00+00:00") == (
        "Dec 7, 2026, 11:00 PM to 12:00 AM UTC"
    )


def test_an_offset_is_shown_in_utc() -> None:
    assert _period(start="2026-12-07T10:00:00+01:00", end="2026-12-07T11:00:00+01:00") == (
        "Dec 7, 2026, 9:00 AM to 10:00 AM UTC"
    )


def test_longer_periods_name_both_ends() -> None:
    assert _period(start="2026-12-01T00:00:00+00:00", end="2026-12-08T00:00:00+00:00") == (
        "Dec 1, 2026 to Dec 8, 2026"
    )
    assert _period(start="2026-12-01T12:30:00+00:00", end="2026-12-03T00:00:00+00:00") == (
        "Dec 1, 2026, 12:30 PM to Dec 3, 2026 UTC"
    )


def test_one_ended_periods() -> None:
    assert _period(start="2026-12-07") == "from Dec 7, 2026"
    assert _period(end="2026-12-07T15:05:00Z") == "before Dec 7, 2026, 3:05 PM UTC"
    assert _period() is None


def test_unreadable_bounds_are_shown_as_given() -> None:
    assert _period(start="yesterday", end="2026-12-07") == "yesterday to Dec 7, 2026"
    assert _period(start="not a date") == "from not a date"


def test_custom_dates_chip_names_the_days() -> None:
    built = chips.build(
        "/conversations", {"range": "custom", "from": "2026-12-01", "to": "2026-12-07"}
    )
    assert [c.text for c in built] == ["Dates: Dec 1, 2026 to Dec 7, 2026"]
