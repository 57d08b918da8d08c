from __future__ import annotations

import pytest

from hindsight.domain.errors import InvalidParameter
from hindsight.domain.timefmt import iso8601, parse_iso8601, rfc2822

MAY_14 = 1_400_077_614_000  # 2014-05-14T14:26:54Z


def test_iso8601_is_twilios_whole_second_utc_form():
    assert iso8601(MAY_14 + 999) == "2014-05-14T14:26:54Z"
    assert iso8601(None) is None


def test_rfc2822_is_the_2010_api_form():
    assert rfc2822(MAY_14) == "Wed, 14 May 2014 14:26:54 +0000"


@pytest.mark.parametrize(
    "text",
    [
        "2014-05-14T14:26:54Z",
        "2014-05-14T14:26:54+00:00",
        "2014-05-14T16:26:54+02:00",
        "2014-05-14T14:26:54",
        "2014-05-14T14:26:54.000Z",
    ],
)
def test_parse_accepts_the_forms_clients_send(text):
    assert parse_iso8601(text, "StartDate") == MAY_14


def test_bare_date_is_midnight_utc():
    assert iso8601(parse_iso8601("2016-07-31", "StartDate")) == "2016-07-31T00:00:00Z"


@pytest.mark.parametrize("text", ["", "yesterday", "2014-13-01", "14/05/2014", "2014-05-14T25:00"])
def test_parse_refuses_anything_else_naming_the_parameter(text):
    with pytest.raises(InvalidParameter, match="StartDate"):
        parse_iso8601(text, "StartDate")
