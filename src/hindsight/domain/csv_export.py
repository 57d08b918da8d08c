"""The one CSV writer every export uses (conversations, the audit trail, people, reports).

Exports are opened in spreadsheets, and a spreadsheet runs a cell that starts with `=`, `+`,
`-` or `@` as a formula (tab and carriage return can hide such a start), so text from anyone
who can put a value in the data (a task attribute, a user name, a denied request's path in the
audit trail) could run `=HYPERLINK(...)` or worse on the reader's machine. Such a cell is
written with a leading apostrophe: shown as text, and still readable by a human.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value as a CSV cell: text that a spreadsheet would run is neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class CsvWriter:
    """Writes a header row, then one row per record (a mapping keyed by column name).

    Without `out` it writes into a buffer that `take()` empties, for streamed responses.
    """

    def __init__(self, columns: Sequence[str], out: TextIO | None = None) -> None:
        self._columns = tuple(columns)
        buffer = io.StringIO()
        self._buffer = buffer if out is None else None
        self._writer = csv.writer(out if out is not None else buffer)
        self._writer.writerow([safe_cell(c) for c in self._columns])

    def write(self, record: Mapping[str, Any]) -> None:
        self._writer.writerow([safe_cell(record.get(c)) for c in self._columns])

    def take(self) -> str:
        """What was written since the last call (buffered writers only)."""
        if self._buffer is None:
            raise TypeError("this writer writes to its own stream")
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text
