"""UNSET: "this parameter was not given", distinct from an explicit empty value or None."""

from __future__ import annotations

from typing import Final, TypeVar

T = TypeVar("T")


class Unset:
    _instance: Unset | None = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = Unset()


def or_none(value: T | Unset) -> T | None:
    """UNSET as None, for arguments where None means 'not given'."""
    return None if isinstance(value, Unset) else value


class Changes:
    """Base of dataclasses whose fields default to UNSET: `given()` is what was sent."""

    def given(self) -> dict[str, object]:
        return {k: v for k, v in vars(self).items() if not isinstance(v, Unset)}


C = TypeVar("C", bound=Changes)


def changes_of(kind: type[C], **values: object) -> C:
    """A `Changes` of the values given: UNSET and None (not sent) leave a field unset."""
    return kind(**{k: v for k, v in values.items() if or_none(v) is not None})
