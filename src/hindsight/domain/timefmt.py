"""Time as Twilio prints and parses it.

Instants are integers: milliseconds since the epoch (UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime

from hindsight.domain.errors import InvalidParameter


def to_datetime(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)


def iso8601(epoch_ms: int | None) -> str | None:
    """TaskRouter's format: `2014-05-14T14:26:54Z` (whole seconds, always UTC)."""
    if epoch_ms is None:
        return None
    return to_datetime(epoch_ms).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc2822(epoch_ms: int | None) -> str | None:
    """The 2010-04-01 API's format: `Wed, 18 Aug 2010 20:01:40 +0000`."""
    if epoch_ms is None:
        return None
    return to_datetime(epoch_ms).strftime("%a, %d %b %Y %H:%M:%S +0000")


def parse_iso8601(value: str, parameter: str) -> int:
    """Parse an ISO 8601 date or date-time into epoch milliseconds.

    Accepts what Twilio's helper libraries send (`2014-05-14T14:26:54Z`), fractional seconds,
    numeric offsets, and bare dates (midnight UTC). A value without a zone is taken as UTC,
    as Twilio documents its dates in GMT.
    """
    epoch_ms = iso8601_ms(value)
    if epoch_ms is None:
        raise InvalidParameter(
            f"{parameter} must be an ISO 8601 date-time such as 2024-05-14T14:26:54Z, got {value!r}"
        )
    return epoch_ms


def iso8601_ms(value: str) -> int | None:
    """An ISO 8601 date or date-time as epoch milliseconds (no zone: UTC); None if it is not
    one. Callers say what they expected in their own words."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)
