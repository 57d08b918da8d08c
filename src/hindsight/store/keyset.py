"""Keyset (seek) paging over any ordered query: stable under concurrent inserts and deletes.

A page is asked for by the sort key of the row it starts after (forward) or ends before
(backward). The ordering always ends with a unique column, so every row has exactly one place.
The request and result types are the domain's (domain/paging.py); a `SortKey` names a column,
so it stays here with the SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Row,
    Select,
    UnaryExpression,
    and_,
    or_,
)

from hindsight.domain.paging import PageRequest, PageResult

T = TypeVar("T")


@dataclass(frozen=True)
class SortKey:
    column: Column[Any]
    descending: bool = False

    def accepts(self, value: Any) -> bool:
        """Whether `value` can be compared with this column in SQL: the check a boundary from
        outside (a client's page token) must pass, so a forged one cannot reach the database
        with text for a number or an integer the column's type cannot bind."""
        expected = self.column.type.python_type
        if expected is int:
            bits = 63 if isinstance(self.column.type, BigInteger) else 31
            return type(value) is int and -(2**bits) <= value < 2**bits
        if expected is str:
            return isinstance(value, str)
        return isinstance(value, str | int | float | bool)


def _beyond(keys: Sequence[SortKey], values: Sequence[Any], forward: bool) -> ColumnElement[bool]:
    """Rows strictly after (forward) or before (backward) `values` in the order `keys`."""
    clauses = []
    for i, key in enumerate(keys):
        ascending_step = (not key.descending) == forward
        step = key.column > values[i] if ascending_step else key.column < values[i]
        prefix = [keys[j].column == values[j] for j in range(i)]
        clauses.append(and_(*prefix, step))
    return or_(*clauses)


def _order(keys: Sequence[SortKey], forward: bool) -> list[UnaryExpression[Any]]:
    return [k.column.desc() if k.descending == forward else k.column.asc() for k in keys]


def past(query: Select[Any], keys: Sequence[SortKey], request: PageRequest) -> Select[Any]:
    """The rows of `query` past the request's boundary (in no order)."""
    forward = request.before is None
    boundary = request.after if forward else request.before
    return query if boundary is None else query.where(_beyond(keys, boundary, forward))


def window(
    query: Select[Any], keys: Sequence[SortKey], request: PageRequest, limit: int
) -> Select[Any]:
    """The first `limit` rows of `query` past the request's boundary, in the order the page
    reads them: the candidates a page may be drawn from."""
    forward = request.before is None
    return past(query, keys, request).order_by(*_order(keys, forward)).limit(limit)


def filled(result: PageResult[Any], request: PageRequest) -> bool:
    """The page holds its size and knows there is more beyond it (so no row was left out)."""
    return result.has_next if request.before is None else result.has_previous


@overload
def fetch_page(
    conn: Connection,
    query: Select[Any],
    keys: Sequence[SortKey],
    request: PageRequest,
    predicate: Callable[[Any], bool] | None = None,
    *,
    read: Callable[[Row[Any]], T],
) -> PageResult[T]: ...


@overload
def fetch_page(
    conn: Connection,
    query: Select[Any],
    keys: Sequence[SortKey],
    request: PageRequest,
    predicate: Callable[[Any], bool] | None = None,
) -> PageResult[Row[Any]]: ...


def fetch_page(
    conn: Connection,
    query: Select[Any],
    keys: Sequence[SortKey],
    request: PageRequest,
    predicate: Callable[[Any], bool] | None = None,
    *,
    read: Callable[[Row[Any]], Any] | None = None,
) -> PageResult[Any]:
    """Run `query` (already filtered in SQL) for one page in the order `keys`.

    `read` turns each row into the store's record for it (rows are returned as they are
    without it); `predicate` then filters the records in Python, for conditions SQL cannot
    express (TaskRouter expressions over JSON attributes); rows are read in batches until the
    page is full.
    """
    forward = request.before is None
    boundary = request.after if forward else request.before
    wanted = request.size + 1
    batch = wanted if predicate is None else max(wanted * 4, 200)
    rows: list[Any] = []
    cursor = boundary
    while len(rows) < wanted:
        page_query = query if cursor is None else query.where(_beyond(keys, cursor, forward))
        chunk = list(conn.execute(page_query.order_by(*_order(keys, forward)).limit(batch)))
        records = chunk if read is None else [read(row) for row in chunk]
        rows.extend(records if predicate is None else [r for r in records if predicate(r)])
        if len(chunk) < batch:
            break
        cursor = key_of(chunk[-1], keys)
    return page_of(rows, request)


def page_of(rows: list[Any], request: PageRequest) -> PageResult[Any]:
    """The page of `request` from the rows past its boundary in reading order (up to one
    more than a page: whether there is more)."""
    forward = request.before is None
    more = len(rows) > request.size
    rows = rows[: request.size]
    if forward:
        return PageResult(rows=rows, has_next=more, has_previous=request.after is not None)
    rows.reverse()
    return PageResult(rows=rows, has_next=True, has_previous=more)


def key_of(row: Any, keys: Sequence[SortKey]) -> tuple[Any, ...]:
    if isinstance(row, Row):
        return tuple(row._mapping[k.column] for k in keys)
    # A typed record (a store's frozen dataclass): its fields are named for the columns.
    return tuple(getattr(row, k.column.name) for k in keys)
