"""The form decoder gives what the standard library's strict `parse_qsl` gives, and refuses
what it refuses, for any body: the fast path (escapes decoded in C) must not change a value."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hindsight.api.forms import parse_form_body
from hindsight.domain.errors import InvalidParameter

FORM = "application/x-www-form-urlencoded"


def _standard(body: bytes) -> list[tuple[str, str]] | None:
    """What the standard library makes of the body (None: it refuses it)."""
    try:
        text = body.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError):
        return None


def _ours(body: bytes) -> list[tuple[str, str]] | None:
    try:
        return parse_form_body(body, FORM)
    except InvalidParameter:
        return None


@given(st.lists(st.tuples(st.text(), st.text())))
@settings(max_examples=300)
def test_any_encoded_form_decodes_to_what_was_encoded(pairs: list[tuple[str, str]]) -> None:
    body = urlencode(pairs).encode()
    assert parse_form_body(body, FORM) == pairs


# Bodies made of the pieces a decoder can trip on: escapes good and broken, `+`, separators,
# backslashes (which the fast path must not read as escapes), raw UTF-8 and stray bytes.
_PIECES = st.sampled_from(
    [b"%", b"%4", b"%41", b"%zz", b"%C3", b"%A9", b"%c3%a9", b"%00", b"%5C", b"%5Cx41", b"+",
     b"&", b"=", b"\\", b"\\x41", b"\\n", b"a", b"Z", b"0", b"\xc3\xa9", b"\xa9", b"\xff",
     b"\xe2\x82\xac", b"%E2%82", b"%AC"]
)  # fmt: skip


@given(st.lists(_PIECES, max_size=12).map(b"".join))
@settings(max_examples=2000)
def test_any_body_is_read_or_refused_as_the_standard_library_does(body: bytes) -> None:
    assert _ours(body) == _standard(body)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"A=%7B%22a%22%3A+1%7D", [("A", '{"a": 1}')]),
        (b"A=100%25&B=%zz", [("A", "100%"), ("B", "%zz")]),  # a lone % is kept
        (b"A=a%5Cx41", [("A", "a\\x41")]),  # an escaped backslash stays a backslash
        (b"A=caf%C3%A9&A=", [("A", "café"), ("A", "")]),
    ],
)
def test_examples(body: bytes, expected: list[tuple[str, str]]) -> None:
    assert parse_form_body(body, FORM) == expected


@pytest.mark.parametrize(
    "body",
    [b"A=1&", b"&A=1", b"A", b"A=1&&B=2", b"A=%C3", b"A=%C3%28", b"A=\xff", b"A=%C3\xa9"],
)
def test_bad_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidParameter):
        parse_form_body(body, FORM)
