"""Rules of recordings Hindsight holds: byte ranges, If-Range, links, channel maps, own URLs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.recordings import (
    UNSATISFIABLE,
    ByteRange,
    RecordingLinks,
    channel_map,
    held_recording_sid,
    if_range_allows,
    parse_channel_names,
    parse_range,
    parse_recording_start,
)

SID = "RE" + "ab" * 16


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=100-", ByteRange(100, 999)),
        ("bytes=-100", ByteRange(900, 999)),
        ("bytes=-5000", ByteRange(0, 999)),
        ("bytes=990-5000", ByteRange(990, 999)),
        ("bytes=999-999", ByteRange(999, 999)),
        (" bytes = 1 - 2 ", ByteRange(1, 2)),
        ("bytes=1000-", UNSATISFIABLE),
        ("bytes=1000-2000", UNSATISFIABLE),
        ("bytes=-0", UNSATISFIABLE),
        ("bytes=" + "9" * 30 + "-", UNSATISFIABLE),
        ("bytes=-" + "9" * 30, ByteRange(0, 999)),
        ("bytes=5-" + "9" * 30, ByteRange(5, 999)),
        (None, None),
        ("", None),
        ("bytes=", None),
        ("bytes=-", None),
        ("bytes=9-3", None),
        ("bytes=0-1,3-4", None),
        ("bytes=a-b", None),
        ("pages=0-1", None),
        ("bytes=0x10-20", None),
        ("bytes=+1-2", None),
    ],
)
def test_parse_range(header: str | None, expected: object) -> None:
    assert parse_range(header, 1000) == expected


@given(st.integers(1, 10**12), st.integers(0, 10**13), st.integers(0, 10**13))
def test_a_served_range_lies_inside_the_file(size: int, first: int, last: int) -> None:
    for header in (f"bytes={first}-{last}", f"bytes={first}-", f"bytes=-{last}"):
        found = parse_range(header, size)
        if isinstance(found, ByteRange):
            assert 0 <= found.start <= found.end < size
            assert found.length == found.end - found.start + 1


def test_if_range() -> None:
    etag, date = '"abc"', "Tue, 01 Oct 2024 10:00:00 GMT"
    assert if_range_allows(None, etag, date)
    assert if_range_allows('"abc"', etag, date)
    assert if_range_allows(date, etag, date)
    assert not if_range_allows('W/"abc"', etag, date)
    assert not if_range_allows('"abd"', etag, date)
    assert not if_range_allows("Wed, 02 Oct 2024 10:00:00 GMT", etag, date)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"https://hs.example.org/api/v1/recordings/{SID}", SID),
        (f"https://hs.example.org/api/v1/recordings/{SID}/media", SID),
        (f"http://127.0.0.1:8080/api/v1/recordings/{SID}/media?x=1", SID),
        (f"https://hs.example.org/prefix/api/v1/recordings/{SID}/", SID),
        (f"https://hs.example.org/api/v1/recordings/{SID}/other", None),
        (f"https://hs.example.org/api/v1/recordings/{SID.upper()}", None),
        (f"/api/v1/recordings/{SID}", None),
        (f"ftp://hs.example.org/api/v1/recordings/{SID}", None),
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", None),
        (None, None),
    ],
)
def test_held_recording_sid(url: str | None, expected: str | None) -> None:
    assert held_recording_sid(url) == expected


def test_links_need_one_of_task_reservation_call() -> None:
    with pytest.raises(InvalidParameter, match="at least one"):
        RecordingLinks(workspace_sid="WS" + "0" * 32)
    RecordingLinks(call_sid="CA" + "0" * 32)
    RecordingLinks(task_sid="WT" + "0" * 32, reservation_sid="WR" + "1" * 32)


@pytest.mark.parametrize(
    "fields",
    [
        {"task_sid": "WR" + "0" * 32},
        {"reservation_sid": "WT" + "0" * 32},
        {"call_sid": "CA" + "0" * 31},
        {"call_sid": "RE" + "0" * 32},
        {"call_sid": "CA" + "0" * 32, "workspace_sid": "WT" + "0" * 32},
    ],
)
def test_links_refuse_malformed_sids(fields: dict[str, str]) -> None:
    with pytest.raises(InvalidParameter):
        RecordingLinks(**fields)


def test_channel_maps() -> None:
    assert channel_map(None, 2) == ("customer", "others")
    assert channel_map(None, 1) == ("mixed",)
    assert channel_map(("agent", "customer"), 2) == ("agent", "customer")
    with pytest.raises(InvalidParameter, match="name them"):
        channel_map(None, 4)
    with pytest.raises(InvalidParameter, match="file has 2"):
        channel_map(("customer",), 2)


@pytest.mark.parametrize(
    "text", ["customer", "[]", '["a", 1]', '{"a": 1}', '["has space"]', '["' + "x" * 40 + '"]']
)
def test_channel_names_refused(text: str) -> None:
    with pytest.raises(InvalidParameter, match="channel"):
        parse_channel_names(text)


def test_start_time_in_every_form_maps_to_the_same_instant() -> None:
    assert parse_recording_start("1574350320000") == 1574350320000
    assert parse_recording_start("2019-11-21T15:32:00Z") == 1574350320000
    assert parse_recording_start("  ") is None
    with pytest.raises(InvalidParameter, match=r"^start_time must"):
        parse_recording_start("soon")
