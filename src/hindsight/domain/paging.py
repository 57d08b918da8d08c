"""A page of a list: what a caller asks for and what it gets back.

Services take a `PageRequest` and return a `PageResult`, and the HTTP layer builds and renders
them, so they belong to no layer's machinery: the store's keyset paging (store/keyset.py)
fills them, and a boundary's values are the sort-key values of the row a page starts after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    size: int
    # Sort-key values of the boundary row, or None for the first page.
    after: tuple[Any, ...] | None = None
    before: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class PageResult(Generic[T]):
    rows: list[T]
    has_next: bool
    has_previous: bool
