"""URLs that clients give us to call (event callbacks, assignment callbacks)."""

from __future__ import annotations

from urllib.parse import urlsplit

from hindsight.domain.errors import InvalidParameter

MAX_URL_LENGTH = 2048


def check_callback_url(value: str | None, parameter: str) -> str | None:
    """An absolute http(s) URL, or None when empty; anything else is refused."""
    if value is None or value == "":
        return None
    if len(value) > MAX_URL_LENGTH:
        raise InvalidParameter(f"{parameter} is longer than {MAX_URL_LENGTH} characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidParameter(f"{parameter} must be an absolute http or https URL, got {value!r}")
    if any(ch.isspace() for ch in value):
        raise InvalidParameter(f"{parameter} must not contain whitespace")
    return value
