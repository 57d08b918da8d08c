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
