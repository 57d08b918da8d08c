"""The hour-of-day profile: UTC buckets placed at their local hour (daylight saving included,
half-hour zones from quarter-hour buckets), counts summed, averages re-weighted; 24 hours
always, and unknown zones refused."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hindsight.domain.errors import InvalidParameter
from hindsight.insights.aggregate_rows import AggregateRow
from hindsight.insights.filters import ConversationFilters
from hindsight.insights.hour_profile import HOUR_MS, QUARTER_MS, bucket_ms, fold, zone
from hindsight.insights.queries import Aggregates
from hindsight.web.reports import build

PARIS = ZoneInfo("Europe/Paris")


def _at(text: str, tz: ZoneInfo) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=tz).timestamp() * 1000)


def _bucket(ms: int, volume: int, handled: int, talk: float | None, queue: float) -> AggregateRow:
    return AggregateRow(ms, volume, handled, volume - handled, queue, talk, 5.0, talk, handled)


def test_buckets_land_on_their_local_hour_across_a_daylight_saving_change() -> None:
    # 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer: both count at 09.
    winter = _at("2024-03-29 09:00", PARIS)  # before the change on 31 March
    summer = _at("2024-04-02 09:00", PARIS)
    evening = _at("2024-04-02 21:00", PARIS)
    hours = fold(
        [
            _bucket(winter, 3, 3, 100.0, 10.0),
            _bucket(summer, 1, 1, 300.0, 30.0),
            _bucket(evening, 2, 0, None, 40.0),
        ],
        PARIS,
    )
    assert [h.group for h in hours] == list(range(24))
    nine = hours[9]
    assert (nine.volume, nine.handled, nine.within_service_level) == (4, 4, 4)
    assert nine.avg_talk_time == 150.0  # (3 x 100 + 1 x 300) / 4 handled
    assert nine.avg_queue_time == 15.0  # weighted by all 4 conversations
    assert hours[21].volume == 2 and hours[21].avg_talk_time is None  # nothing handled
    assert sum(h.volume for h in hours) == 6
    assert all(h.volume == 0 for h in hours if h.group not in (9, 21))


def test_zones_off_a_whole_hour_use_quarter_hour_buckets() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+5:30
    assert bucket_ms(kolkata, [0]) == QUARTER_MS
    assert bucket_ms(PARIS, [_at("2024-01-01 00:00", PARIS)]) == HOUR_MS
    # 03:30 UTC is 09:00 in Kolkata; 03:15 UTC is 08:45.
    at_nine = _at("2024-01-01 03:30", ZoneInfo("UTC"))
    hours = fold(
        [_bucket(at_nine, 1, 1, 60.0, 1.0), _bucket(at_nine - QUARTER_MS, 2, 2, 60.0, 1.0)], kolkata
    )
    assert hours[9].volume == 1 and hours[8].volume == 2


@pytest.mark.parametrize("bad", ["Mars/Olympus", "../../etc/passwd", "/etc/localtime", "x" * 65])
def test_unknown_zones_are_refused(bad: str) -> None:
    with pytest.raises(InvalidParameter):
        zone(bad)


def test_no_zone_is_utc() -> None:
    assert zone(None).key == "UTC" and zone("").key == "UTC"


def test_the_profile_page_names_its_zone_and_says_the_hours_are_summed() -> None:
    hours = fold([_bucket(_at("2024-04-02 09:00", PARIS), 2, 2, 60.0, 1.0)], PARIS)
    total = AggregateRow(None, 2, 2, 0, 1.0, 60.0, 5.0, 60.0, 2)
    view = build(
        Aggregates("hour_of_day", hours, total),
        {},
        ConversationFilters(),
        20,
        time_zone="Europe/Paris",
    )
    assert view.time_zone == "Europe/Paris" and view.summed_note == "summed over the period"
    assert [b.label for b in view.bars][:2] == ["00:00", "01:00"] and len(view.bars) == 24
    assert view.bars[9].title.startswith("09:00: 2 conversations")
    assert all(b.href == "" for b in view.bars)  # no conversation filter names an hour of day
    assert view.total.href.startswith("/conversations?")
