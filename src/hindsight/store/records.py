"""How the store turns a row of a view into its typed, frozen record.

Each store module defines one frozen dataclass per aggregate, its fields named for the view's
columns (so `keyset.key_of` finds the sort keys on it), and reads rows through `reader`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Row

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")
T = TypeVar("T")
# Any row, whatever its columns: a select of a whole table and one of a few columns alike.
AnyRow = Row[*tuple[Any, ...]]


def reader(record: type[R]) -> Callable[[AnyRow], R]:
    """A function that builds a `record` from a row holding (at least) its fields."""
    build = builder(record)

    def read(row: AnyRow) -> R:
        return build(row._mapping)

    return read


def builder(record: type[R]) -> Callable[[Mapping[Any, Any]], R]:
    """A function that builds a `record` from a mapping holding (at least) its fields: for a
    record assembled in a transaction from what it wrote, without reading it back."""
    names = tuple(f.name for f in fields(record))
    if hasattr(record, "__post_init__") or hasattr(record, "__slots__"):

        def construct(values: Mapping[Any, Any]) -> R:
            return record(**{name: values[name] for name in names})

        return construct

    new = object.__new__

    def build(values: Mapping[Any, Any]) -> R:
        # A frozen dataclass's __init__ sets each field through object.__setattr__, which for
        # a 26-field task costs more than reading its row; every field is given here, so
        # filling the instance's dict directly makes the same, equal, immutable record.
        built = new(record)
        built.__dict__.update({name: values[name] for name in names})
        return built

    return build


def optional(read: Callable[[AnyRow], T], row: AnyRow | None) -> T | None:
    """`read(row)`, or None for no row."""
    return None if row is None else read(row)


class RowLike:
    """Gives a record the `_mapping` a SQLAlchemy row has.

    Routing's engine (left as it is: its decision code is tuned elsewhere) copies rows with
    `dict(row._mapping)`, and the domain's event builders take mappings; a record is read the
    same way there. Everywhere else a record is read by attribute.
    """

    @property
    def _mapping(self) -> Mapping[str, Any]:
        return dict(vars(self))


def written(record: T | None) -> T:
    """A record read back in the transaction that wrote it: present by construction, so a
    missing one is a bug in the caller, not a 404."""
    if record is None:
        raise LookupError("a record written in this transaction was not found")
    return record
