"""Offsets: where in a conversation's recording (seconds from its start) something refers to."""

from __future__ import annotations

import math

from hindsight.domain.errors import InvalidParameter

# A week of recording is more than any conversation; the bound keeps floats sane in both stores.
MAX_OFFSET_SECONDS = 7 * 86_400.0


def parse_offset(value: str, parameter: str = "Offset") -> float:
    try:
        number = float(value.strip())
    except ValueError:
        raise InvalidParameter(
            f"{parameter} must be a number of seconds, got {value[:40]!r}"
        ) from None
    if not math.isfinite(number) or number < 0 or number > MAX_OFFSET_SECONDS:
        raise InvalidParameter(
            f"{parameter} must be between 0 and {int(MAX_OFFSET_SECONDS)} seconds, "
            f"got {value[:40]!r}"
        )
    return round(number, 6)


def format_offset(seconds: float | None) -> str | None:
    """As Twilio prints it: `0.0`, `6.985619`."""
    if seconds is None:
        return None
    return repr(float(seconds))
