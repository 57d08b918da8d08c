"""List filters that narrow a query only where the caller gave a value."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select


def where_given(query: Select[Any], *equal: tuple[ColumnElement[Any], object]) -> Select[Any]:
    """`query` narrowed to rows whose column equals each value given; None means any value."""
    for column, value in equal:
        if value is not None:
            query = query.where(column == value)
    return query
