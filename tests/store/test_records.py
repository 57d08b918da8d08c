"""Records built from mappings (store.records) are the records their constructor makes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from hindsight.store.records import RowLike, builder


@dataclass(frozen=True)
class _Plain(RowLike):
    sid: str
    version: int
    ignore_capacity: bool | None


@dataclass(frozen=True)
class _Checked:
    sid: str

    def __post_init__(self) -> None:
        if not self.sid:
            raise ValueError("a SID is required")


def test_a_built_record_equals_the_constructed_one_and_stays_frozen() -> None:
    values = {"sid": "WT1", "version": 3, "ignore_capacity": None, "extra": "ignored"}
    built = builder(_Plain)(values)
    made = _Plain(sid="WT1", version=3, ignore_capacity=None)
    assert built == made
    assert hash(built) == hash(made)
    assert type(built) is _Plain
    assert built._mapping == {"sid": "WT1", "version": 3, "ignore_capacity": None}
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.version = 4  # type: ignore[misc]


def test_a_missing_field_is_an_error() -> None:
    with pytest.raises(KeyError):
        builder(_Plain)({"sid": "WT1", "version": 3})


def test_a_record_that_checks_itself_is_still_constructed() -> None:
    with pytest.raises(ValueError, match="SID is required"):
        builder(_Checked)({"sid": ""})
    assert builder(_Checked)({"sid": "WT1"}) == _Checked("WT1")
