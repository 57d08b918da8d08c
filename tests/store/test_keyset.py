"""Keyset paging visits every row exactly once, in order, both ways, whatever the ties."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
)

from hindsight.domain.paging import PageRequest
from hindsight.store.keyset import SortKey, fetch_page, key_of

_meta = MetaData()
_rows = Table(
    "rows",
    _meta,
    Column("sid", String(8), primary_key=True),
    Column("priority", Integer, nullable=False),
    Column("created", BigInteger, nullable=False),
)
_engine = create_engine("sqlite://")
_meta.create_all(_engine)

rows_strategy = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5)), min_size=0, max_size=40)


def _load(rows):
    with _engine.begin() as conn:
        conn.execute(_rows.delete())
        if rows:
            conn.execute(
                insert(_rows),
                [
                    {"sid": f"s{i:04d}", "priority": p, "created": c}
                    for i, (p, c) in enumerate(rows)
                ],
            )


def _walk(keys, size, predicate=None):
    seen, after = [], None
    with _engine.connect() as conn:
        while True:
            page = fetch_page(
                conn, select(_rows), keys, PageRequest(size=size, after=after), predicate
            )
            seen.extend(r.sid for r in page.rows)
            if not page.has_next:
                return seen, conn
            after = key_of(page.rows[-1], keys)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_strategy, size=st.integers(1, 7), desc=st.booleans())
def test_forward_paging_visits_every_row_once_in_order(rows, size, desc):
    _load(rows)
    keys = (
        SortKey(_rows.c.priority, descending=desc),
        SortKey(_rows.c.created),
        SortKey(_rows.c.sid),
    )
    seen, _ = _walk(keys, size)
    expected = sorted(
        (f"s{i:04d}" for i in range(len(rows))),
        key=lambda s: ((-1 if desc else 1) * rows[int(s[1:])][0], rows[int(s[1:])][1], s),
    )
    assert seen == expected


@settings(max_examples=100, deadline=None)
@given(rows=rows_strategy, size=st.integers(1, 7))
def test_backward_pages_mirror_forward_pages(rows, size):
    _load(rows)
    keys = (SortKey(_rows.c.priority), SortKey(_rows.c.sid))
    forward_pages, after = [], None
    with _engine.connect() as conn:
        while True:
            page = fetch_page(conn, select(_rows), keys, PageRequest(size=size, after=after))
            forward_pages.append([r.sid for r in page.rows])
            if not page.has_next:
                break
            after = key_of(page.rows[-1], keys)
        # From each page, asking for the one before it gives the previous page back.
        for previous, current in itertools.pairwise(forward_pages):
            first = next(r for r in conn.execute(select(_rows).where(_rows.c.sid == current[0])))
            back = fetch_page(
                conn, select(_rows), keys, PageRequest(size=size, before=key_of(first, keys))
            )
            assert [r.sid for r in back.rows] == previous


@settings(max_examples=100, deadline=None)
@given(rows=rows_strategy, size=st.integers(1, 5))
def test_python_predicates_page_through_matching_rows_only(rows, size):
    _load(rows)
    keys = (SortKey(_rows.c.created), SortKey(_rows.c.sid))
    seen, _ = _walk(keys, size, predicate=lambda r: r.priority == 2)
    expected = sorted(
        (f"s{i:04d}" for i, (p, _c) in enumerate(rows) if p == 2),
        key=lambda s: (rows[int(s[1:])][1], s),
    )
    assert seen == expected
