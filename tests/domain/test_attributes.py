from __future__ import annotations

import pytest

from hindsight.domain.attributes import parse_attributes
from hindsight.domain.errors import InvalidParameter


def test_an_object_is_returned_decoded():
    assert parse_attributes('{"a": [1, {"b": null}]}', limit_bytes=1024) == {"a": [1, {"b": None}]}


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("{", "valid JSON"),
        ("{'a': 1}", "valid JSON"),
        ('{"a": 1} trailing', "valid JSON"),
        ("[1, 2]", "got list"),
        ('"text"', "got str"),
        ("42", "got int"),
        ("null", "got null"),
        ("true", "got bool"),
        ("", "valid JSON"),
    ],
)
def test_anything_but_a_json_object_is_refused(raw, problem):
    with pytest.raises(InvalidParameter, match=problem):
        parse_attributes(raw, limit_bytes=1024)


def test_size_is_counted_in_utf8_bytes_and_the_limit_is_named():
    raw = '{"k": "' + "é" * 10 + '"}'  # 10 characters, 20 bytes of text
    parse_attributes(raw, limit_bytes=len(raw.encode()))
    with pytest.raises(InvalidParameter, match="MAX_ATTRIBUTES_BYTES"):
        parse_attributes(raw, limit_bytes=len(raw.encode()) - 1)
