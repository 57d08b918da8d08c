"""Reading the projection's JSON columns once per distinct text."""

from __future__ import annotations

from hindsight.domain.access import conversation_tags
from hindsight.domain.json_columns import read_column


def test_a_column_text_is_parsed_once_and_its_value_shared() -> None:
    text = '{"handling_department_name": "Billing"}'
    first = read_column(text, {})
    # An equal text read from another row (a new string object) gives the same value.
    again = read_column("".join(['{"handling_department_name": ', '"Billing"}']), {})
    assert first == {"handling_department_name": "Billing"}
    assert again is first


def test_empty_missing_or_broken_columns_give_the_default() -> None:
    default: dict[str, str] = {}
    assert read_column("", default) is default
    assert read_column(None, default) is default
    assert read_column(42, default) is default
    assert read_column("{not json", default) is default
    assert read_column('{"a": ', []) == []


def test_scope_tags_read_attributes_from_text_bytes_or_a_mapping() -> None:
    row = {"queue_name": "Sales"}
    for attributes in (
        '{"handling_department_name": "Billing"}',
        b'{"handling_department_name": "Billing"}',
        {"handling_department_name": "Billing"},
    ):
        assert conversation_tags([{**row, "attributes": attributes}]) == {
            "queue:sales",
            "department:billing",
        }
    assert conversation_tags([{**row, "attributes": b"\xff not json"}]) == {"queue:sales"}
    assert conversation_tags([{**row, "attributes": "[1, 2]"}]) == {"queue:sales"}
