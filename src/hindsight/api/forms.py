"""Twilio's request wire format: form-encoded PascalCase parameters, parsed strictly.

Unknown parameter names are refused (a misspelt `Atributes` must not be silently dropped), values
are checked by type, and each problem is a 400 naming the parameter.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from urllib.parse import unquote_to_bytes

from hindsight.domain.errors import InvalidParameter, PayloadTooLarge
from hindsight.domain.sids import Prefix, is_sid
from hindsight.domain.timefmt import parse_iso8601
from hindsight.domain.unset import UNSET, Unset, or_none

_TRUE = {"true", "1", "yes", "True", "TRUE"}
_FALSE = {"false", "0", "no", "False", "FALSE"}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# A `%` not followed by two hex digits: kept as it is, as urllib keeps it.
_LONE_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


class Params:
    """The parameters of one request, from the query string or a form body."""

    def __init__(self, pairs: Iterable[tuple[str, str]], allowed: Iterable[str]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            if "\x00" in name or "\x00" in value:
                # PostgreSQL text cannot hold NUL; refuse it here for both stores alike.
                raise InvalidParameter(f"{name.replace(chr(0), '')} must not contain NUL")
            self._values.setdefault(name, []).append(value)
        allowed_set = set(allowed)
        unknown = sorted(set(self._values) - allowed_set)
        if unknown:
            listed = ", ".join(sorted(allowed_set)) or "none"
            raise InvalidParameter(
                f"Unknown parameter {unknown[0]!r}. Parameters accepted here: {listed}"
            )

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def names(self) -> list[str]:
        return list(self._values)

    def text(self, name: str) -> str | Unset:
        values = self._values.get(name)
        if values is None:
            return UNSET
        if len(values) > 1:
            raise InvalidParameter(f"{name} was given {len(values)} times; give it once")
        return values[0]

    def required(self, name: str) -> str:
        value = self.text(name)
        if isinstance(value, Unset) or value == "":
            raise InvalidParameter(f"Missing required parameter {name} in the post body")
        return value

    def many(self, name: str) -> list[str]:
        """A list parameter: repeated (`A=x&A=y`) or comma-separated (`A=x,y`), as Twilio takes."""
        out: list[str] = []
        for value in self._values.get(name, []):
            out.extend(part.strip() for part in value.split(",") if part.strip())
        return out

    def integer(
        self, name: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> int | Unset:
        value = self.text(name)
        if isinstance(value, Unset):
            return value
        try:
            number = int(value.strip())
        except ValueError:
            raise InvalidParameter(f"{name} must be an integer, got {value!r}") from None
        # Integers are stored and compared as 64-bit in both databases.
        if not _INT64_MIN <= number <= _INT64_MAX:
            raise InvalidParameter(f"{name} is out of range, got {value.strip()[:40]!r}")
        if minimum is not None and number < minimum:
            raise InvalidParameter(f"{name} must be at least {minimum}, got {number}")
        if maximum is not None and number > maximum:
            raise InvalidParameter(f"{name} must be at most {maximum}, got {number}")
        return number

    def boolean(self, name: str) -> bool | Unset:
        value = self.text(name)
        if isinstance(value, Unset):
            return value
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise InvalidParameter(f"{name} must be true or false, got {value!r}")

    def sid(self, name: str, prefix: Prefix) -> str | Unset:
        value = self.text(name)
        if isinstance(value, Unset):
            return value
        if not is_sid(value, prefix):
            raise InvalidParameter(
                f"{name} must be a SID starting with {prefix.value} followed by 32 hex digits, "
                f"got {value!r}"
            )
        return value

    def date(self, name: str) -> int | Unset:
        value = self.text(name)
        if isinstance(value, Unset):
            return value
        return parse_iso8601(value, name)

    def choice(self, name: str, choices: Iterable[str]) -> str | Unset:
        value = self.text(name)
        if isinstance(value, Unset):
            return value
        options = list(choices)
        if value not in options:
            raise InvalidParameter(f"{name} must be one of {', '.join(options)}; got {value!r}")
        return value


def parse_form_body(body: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """The body's (name, value) pairs, as `parse_qsl(..., keep_blank_values=True,
    strict_parsing=True, errors="strict")` gives them: every field needs its `=`, an empty
    field is an error, and percent-decoded bytes must be UTF-8."""
    if not body:
        return []
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in ("application/x-www-form-urlencoded", ""):
        raise InvalidParameter(
            f"Send parameters as application/x-www-form-urlencoded, not {media_type}"
        )
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidParameter("The request body is not valid UTF-8") from None
    pairs = []
    try:
        for field in body.split(b"&"):
            name, equals, value = field.partition(b"=")
            if not equals:
                raise ValueError(field)
            pairs.append((_unquote(name), _unquote(value)))
    except (ValueError, UnicodeDecodeError):
        raise InvalidParameter("The request body is not a valid form-encoded document") from None
    return pairs


def _unquote(raw: bytes) -> str:
    """One form-encoded name or value, decoded.

    urllib's decoder loops in Python over every `%XX`, and an attributes document is mostly
    escapes (every brace, quote and colon): the write path's 650-byte update body took 26 µs
    of CPU in `parse_qsl`, 7 µs here.
    Turned into Python's own `\\xXX` escapes (backslashes doubled first, so none is read as an
    escape) the whole value is decoded in C; a lone `%` is left to urllib, which keeps it.
    (The body has been checked as UTF-8 before: a raw non-ASCII character is then whole, so a
    bad escaped sequence next to one is still bad.)"""
    raw = raw.replace(b"+", b" ")
    if b"%" in raw:
        if _LONE_PERCENT.search(raw) is None:
            raw = codecs.escape_decode(raw.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
        else:
            raw = unquote_to_bytes(raw)
    return raw.decode("utf-8")


def check_body_size(length: int, limit: int) -> None:
    if length > limit:
        raise PayloadTooLarge(f"The request body is {length} bytes; the limit is {limit} bytes")


__all__ = ["UNSET", "Params", "Unset", "check_body_size", "or_none", "parse_form_body"]
