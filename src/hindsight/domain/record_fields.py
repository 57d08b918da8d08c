"""Records shown as JSON objects: most of what the API and CSV exports show of a record is
some of its attributes under their own names, in a chosen order."""

from __future__ import annotations

from typing import Any


def fields_of(record: object, *names: str) -> dict[str, Any]:
    """The named attributes of `record`, in that order, under the same names."""
    return {name: getattr(record, name) for name in names}
