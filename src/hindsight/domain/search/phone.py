"""Phone numbers as people type them, reduced to one form so that `(555) 010-4477`,
`555-010-4477`, `+1 555 010 4477` and `whatsapp:+15550104477` find the same customer."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")
# A channel prefix Twilio puts on addresses: whatsapp:+1…, sms:+1…, tel:+1…
_SCHEME = re.compile(r"^[a-z]+:", re.IGNORECASE)
_PHONE_CHARACTERS = re.compile(r"^\+?[\d\s().\-/]+$")
# Without a country code, a ten-digit number is read as North American (+1), Twilio's default.
_NATIONAL_DIGITS = 10
_DEFAULT_COUNTRY = "1"
MIN_DIGITS = 7
MAX_DIGITS = 15  # E.164


def normalise(text: str) -> str | None:
    """The number's digits with its country code (E.164 without `+`), or None if `text` is
    not a phone number."""
    candidate = _SCHEME.sub("", text.strip())
    if not _PHONE_CHARACTERS.match(candidate):
        return None
    digits = "".join(_DIGITS.findall(candidate))
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return None
    international = candidate.startswith("+") or candidate.startswith("00")
    if candidate.startswith("00"):
        digits = digits[2:]
    if not international and len(digits) == _NATIONAL_DIGITS:
        digits = _DEFAULT_COUNTRY + digits
    return digits
