"""URLs that clients give us to call (event callbacks, assignment callbacks)."""

from __future__ import annotations

from urllib.parse import urlsplit

from hindsight.domain.addresses import AddressRules, UrlRefused, check_before_resolving
from hindsight.domain.errors import InvalidParameter

MAX_URL_LENGTH = 2048


def check_callback_url(
    value: str | None, parameter: str, rules: AddressRules | None = None
) -> str | None:
    """An absolute http(s) URL, or None when empty; anything else is refused.

    With `rules` (a URL the server will call), also what the address rules can refuse before
    any DNS lookup: literal loopback, private, link-local addresses, odd spellings of them.
    """
    if value is None or value == "":
        return None
    if len(value) > MAX_URL_LENGTH:
        raise InvalidParameter(f"{parameter} is longer than {MAX_URL_LENGTH} characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidParameter(f"{parameter} must be an absolute http or https URL, got {value!r}")
    if any(ch.isspace() for ch in value):
        raise InvalidParameter(f"{parameter} must not contain whitespace")
    if rules is not None:
        try:
            check_before_resolving(value, rules)
        except UrlRefused as refused:
            raise InvalidParameter(f"{parameter} is refused: {refused.message}") from None
    return value
