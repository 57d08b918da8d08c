"""Expecting a Twilio error from the official helper library."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException


@contextmanager
def twilio_error(status: int, code: int, *fragments: str) -> Iterator[pytest.ExceptionInfo[Any]]:
    """Expect the block to fail with this HTTP status and Twilio code (and message fragments)."""
    with pytest.raises(TwilioException) as caught:
        yield caught
    got = error_of(caught.value)
    assert got[:2] == (status, code), got
    for fragment in fragments:
        assert fragment in got[2], got[2]


def error_of(error: TwilioException) -> tuple[int, int, str]:
    """(HTTP status, Twilio code, message) of what the helper library raised.

    Single-resource calls raise TwilioRestException; list pages raise a bare TwilioException
    carrying the response.
    """
    if isinstance(error, TwilioRestException):
        return error.status, error.code, error.msg
    _text, response = error.args
    body = json.loads(response.text)
    return response.status_code, body["code"], body["message"]
