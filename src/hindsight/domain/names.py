"""Friendly and unique names of TaskRouter resources."""

from __future__ import annotations

import re

from hindsight.domain.errors import InvalidParameter

MAX_FRIENDLY_NAME = 64
_UNIQUE_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def check_friendly_name(value: str, parameter: str = "FriendlyName") -> str:
    if not value.strip():
        raise InvalidParameter(f"{parameter} must not be empty")
    if len(value) > MAX_FRIENDLY_NAME:
        raise InvalidParameter(f"{parameter} can be at most {MAX_FRIENDLY_NAME} characters long")
    return value


def check_unique_name(value: str, parameter: str = "UniqueName") -> str:
    # TaskRouter refuses hyphens in task channel names; letters, digits and _ are safe.
    if not _UNIQUE_NAME.match(value):
        raise InvalidParameter(
            f"{parameter} must be 1 to 64 letters, digits or underscores, got {value!r}"
        )
    return value
